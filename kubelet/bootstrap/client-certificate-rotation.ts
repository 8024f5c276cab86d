// Client certificate rotation as the kubelet does it (rotateCertificates, on in kubeadm's
// kubelet-config): at a random point between 70 % and 90 % of the current certificate's
// lifetime, request a new one with the node's own credentials (a CSR from system:node:<name>,
// which kubeadm's node-autoapprove-certificate-rotation binding lets the controller-manager
// approve), store it and swap kubelet-client-current.pem. The API client reads the certificate
// file for every request, so the swap is all the kubelet needs. A failed try is retried with
// backoff while the old certificate still lasts; then the node is off the API until one succeeds.
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

const startOf = (stored: StoredCredentials): number => Math.max(Date.parse(stored.certificate.validFrom), Math.min(stored.storedAtMs, Date.parse(stored.certificate.validTo)));

/** The wait before retry number `attempt` (from 0): 1 s doubling to 5 min (upstream's backoff cap). */
export function retryDelayMs(attempt: number): number {
  return Math.min(1_000 * 2 ** attempt, 5 * 60_000);
}

export interface CertificateRotation {
  stop(): void;
}

export function startClientCertificateRotation(options: { paths: NodeCredentialPaths; nodeName: string; logger: Logger; random?: () => number }): CertificateRotation {
  const { paths, nodeName, logger } = options;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let attempt = 0;

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    // setTimeout holds at most ~24.8 days; a longer wait is walked in steps.
    timer = setTimeout(() => void tick(), Math.max(0, Math.min(delayMs, 2 ** 31 - 1)));
  };

  const scheduleFor = (stored: StoredCredentials): void => {
    const deadline = rotationDeadlineMs(startOf(stored), Date.parse(stored.certificate.validTo), (options.random ?? Math.random)());
    logger.info({ nodeName, notAfter: stored.certificate.validTo, rotateAt: new Date(deadline).toISOString() }, 'client certificate rotation scheduled');
    schedule(deadline - Date.now());
  };

  const tick = async (): Promise<void> => {
    try {
      const stored = await readNodeCredentials(paths);
      if (!stored) throw new Error(`${paths.kubeconfig} is gone`);
      const due = rotationDeadlineMs(startOf(stored), Date.parse(stored.certificate.validTo), 0);
      if (Date.now() < due && attempt === 0) return scheduleFor(stored);
      const issued = await requestNodeClientCertificate(KubeApi.fromFile(paths.kubeconfig), {
        nodeName,
        caPem: stored.caPem,
        timeoutMs: 5 * 60_000,
        log: (message) => logger.info({ nodeName }, message),
      });
      if (stopped) return;
      const pemFile = await storeClientCertificate(paths, issued.certPem, issued.keyPem);
      logger.info({ nodeName, csr: issued.csrName, pemFile, notAfter: new Date(issued.notAfterMs).toISOString() }, 'client certificate rotated');
      attempt = 0;
      const rotated = await readNodeCredentials(paths);
      if (rotated) scheduleFor(rotated);
    } catch (error) {
      const delay = retryDelayMs(attempt++);
      logger.warn({ nodeName, err: errorMessage(error), retryInMs: delay }, 'client certificate rotation failed');
      schedule(delay);
    }
  };

  schedule(0);
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
