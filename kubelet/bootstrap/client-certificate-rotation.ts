// Client certificate rotation as the kubelet does it (rotateCertificates, on in kubeadm's
// kubelet-config): at a random point between 70 % and 90 % of the current certificate's
// lifetime, request a new one with the node's own credentials (a CSR from system:node:<name>,
// which kubeadm's node-autoapprove-certificate-rotation binding lets the controller-manager
// approve), store it and swap kubelet-client-current.pem. The API client reads the certificate
// file for every request, so the swap is all the kubelet needs. A failed try is retried with
// backoff while the old certificate still lasts; then the node is off the API until one succeeds.
// The same loop keeps the serving certificate (serving-certificate.ts).
import type { X509Certificate } from 'node:crypto';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { KubeApi } from '../kube-api.js';
import { requestNodeClientCertificate } from './client-certificate-request.js';
import { readNodeCredentials, storeClientCertificate, type NodeCredentialPaths, type StoredCredentials } from './node-credentials.js';

/**
 * When to rotate a certificate valid until `notAfterMs`, counted from `startMs`; `random` in [0, 1).
 * The start is the later of notBefore and when the certificate arrived: the controller-manager's
 * signer backdates notBefore by 5 minutes, and counted from there a short-lived certificate (the
 * signer keeps the full TTL below 8 h) would be due the moment it is issued, every time.
 */
export function rotationDeadlineMs(startMs: number, notAfterMs: number, random: number): number {
  return startMs + (notAfterMs - startMs) * (0.7 + 0.2 * random);
}

/** The wait before retry number `attempt` (from 0): 1 s doubling to 5 min (upstream's backoff cap). */
export function retryDelayMs(attempt: number): number {
  return Math.min(1_000 * 2 ** attempt, 5 * 60_000);
}

export interface CertificateRotation {
  stop(): void;
}

/** A certificate in use and when it arrived. */
export interface HeldCertificate {
  certificate: X509Certificate;
  storedAtMs: number;
}

const startOfHeld = (held: HeldCertificate): number => Math.max(Date.parse(held.certificate.validFrom), Math.min(held.storedAtMs, Date.parse(held.certificate.validTo)));

/**
 * The rotation loop, whichever certificate it keeps: `read` gives the one in use (undefined: none
 * yet, so one is requested now), `renew` requests, stores and puts to use a new one.
 */
export function startCertificateRotation(options: {
  what: string;
  nodeName: string;
  logger: Logger;
  read(): Promise<HeldCertificate | undefined>;
  /** `signal` aborts when the rotation stops: a wait for approval must end with it. */
  renew(signal: AbortSignal): Promise<void>;
  random?: () => number;
}): CertificateRotation {
  const { what, nodeName, logger } = options;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let attempt = 0;
  const stopping = new AbortController();

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    // setTimeout holds at most ~24.8 days; a longer wait is walked in steps.
    timer = setTimeout(() => void tick(), Math.max(0, Math.min(delayMs, 2 ** 31 - 1)));
  };

  const scheduleFor = (held: HeldCertificate): void => {
    const deadline = rotationDeadlineMs(startOfHeld(held), Date.parse(held.certificate.validTo), (options.random ?? Math.random)());
    logger.info({ nodeName, notAfter: held.certificate.validTo, rotateAt: new Date(deadline).toISOString() }, `${what} certificate rotation scheduled`);
    schedule(deadline - Date.now());
  };

  const tick = async (): Promise<void> => {
    try {
      const held = await options.read();
      const due = held ? rotationDeadlineMs(startOfHeld(held), Date.parse(held.certificate.validTo), 0) : 0;
      if (held && Date.now() < due && attempt === 0) return scheduleFor(held);
      await options.renew(stopping.signal);
      if (stopped) return;
      attempt = 0;
      const renewed = await options.read();
      if (renewed) scheduleFor(renewed);
    } catch (error) {
      if (stopped) return;
      const delay = retryDelayMs(attempt++);
      logger.warn({ nodeName, err: errorMessage(error), retryInMs: delay }, `${what} certificate rotation failed`);
      schedule(delay);
    }
  };

  schedule(0);
  return {
    stop: () => {
      stopped = true;
      stopping.abort();
      if (timer) clearTimeout(timer);
    },
  };
}

export function startClientCertificateRotation(options: { paths: NodeCredentialPaths; nodeName: string; logger: Logger; random?: () => number }): CertificateRotation {
  const { paths, nodeName, logger } = options;
  const read = async (): Promise<StoredCredentials> => {
    const stored = await readNodeCredentials(paths);
    if (!stored) throw new Error(`${paths.kubeconfig} is gone`);
    return stored;
  };
  return startCertificateRotation({
    what: 'client',
    nodeName,
    logger,
    read,
    ...(options.random ? { random: options.random } : {}),
    renew: async (signal) => {
      const stored = await read();
      const issued = await requestNodeClientCertificate(KubeApi.fromFile(paths.kubeconfig), {
        nodeName,
        caPem: stored.caPem,
        timeoutMs: 5 * 60_000,
        signal,
        log: (message) => logger.info({ nodeName }, message),
      });
      const pemFile = await storeClientCertificate(paths, issued.certPem, issued.keyPem);
      logger.info({ nodeName, csr: issued.csrName, pemFile, notAfter: new Date(issued.notAfterMs).toISOString() }, 'client certificate rotated');
    },
  });
}
