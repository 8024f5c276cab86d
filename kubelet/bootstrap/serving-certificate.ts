// The kubelet API's serving certificate from the cluster (serverTLSBootstrap, upstream's
// --rotate-server-certificates): a kubernetes.io/kubelet-serving CSR for system:node:<name> with
// the node's name and address as SANs, signed by the cluster CA once someone approves it (the
// controller-manager approves only client CSRs), kept as <pkiDir>/kubelet-server-current.pem and
// rotated at 70-90 % of its life like the client certificate. Until the first one is issued the
// server keeps the self-signed certificate it started with (upstream serves none and fails the
// handshake); each new one is handed to `use`, which swaps it into the running server.
import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { FailedPreconditionError, errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { splitPemCertificates } from './ca-pin.js';
import { type CsrApi, requestNodeServingCertificate } from './client-certificate-request.js';
import { type CertificateRotation, type HeldCertificate, startCertificateRotation } from './client-certificate-rotation.js';
import type { SubjectAltNames } from './client-csr.js';
import { storeCurrentPem } from './node-credentials.js';

export interface ServingPem {
  certPem: string;
  keyPem: string;
}

const keyBlock = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----\n?/;

/** The issued serving certificate in use, if any: undefined when none was issued yet. */
export async function readServingPem(pkiDir: string): Promise<(ServingPem & HeldCertificate) | undefined> {
  const current = join(pkiDir, 'kubelet-server-current.pem');
  let text: string;
  try {
    text = await readFile(current, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const key = keyBlock.exec(text)?.[0];
  const [leaf] = splitPemCertificates(text);
  if (!key || !leaf) throw new Error(`${current} does not hold a certificate and its key`);
  return { certPem: text.replace(keyBlock, ''), keyPem: key, certificate: new X509Certificate(leaf), storedAtMs: (await stat(current)).mtimeMs };
}

/** The cluster CA a kubeconfig trusts (embedded or as a file): the serving certificate must chain to it. */
export async function kubeconfigCaPem(kubeconfigPath: string): Promise<string> {
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromFile(kubeconfigPath);
  const cluster = kubeconfig.getCurrentCluster();
  if (cluster?.caData) return Buffer.from(cluster.caData, 'base64').toString('utf8');
  if (cluster?.caFile) return readFile(cluster.caFile, 'utf8');
  throw new FailedPreconditionError(`${kubeconfigPath} names no cluster CA (certificate-authority-data or certificate-authority): serverTLSBootstrap cannot check what the cluster issues`);
}

/** Whether a stored certificate still fits: unexpired and naming every one of the node's names. */
export function servingCertificateFits(certificate: X509Certificate, altNames: SubjectAltNames, nowMs = Date.now()): boolean {
  if (Date.parse(certificate.validTo) <= nowMs) return false;
  return altNames.ips.every((ip) => certificate.checkIP(ip) !== undefined) && altNames.dnsNames.every((dns) => certificate.checkHost(dns) !== undefined);
}

export function startServingCertificate(options: {
  api: CsrApi;
  /** The cluster CA the certificate must chain to. */
  caPem: string;
  pkiDir: string;
  nodeName: string;
  altNames: SubjectAltNames;
  logger: Logger;
  use(pem: ServingPem): void;
}): CertificateRotation {
  const { logger, nodeName } = options;
  const read = async (): Promise<(ServingPem & HeldCertificate) | undefined> => {
    const held = await readServingPem(options.pkiDir).catch((error: unknown) => {
      logger.warn({ nodeName, err: errorMessage(error) }, 'serving certificate unreadable: requesting a new one');
      return undefined;
    });
    // One issued for another address (the node moved) is replaced at once.
    return held && servingCertificateFits(held.certificate, options.altNames) ? held : undefined;
  };
  let inUse: string | undefined;
  return startCertificateRotation({
    what: 'serving',
    nodeName,
    logger,
    read: async () => {
      const held = await read();
      if (held && held.certificate.fingerprint256 !== inUse) {
        options.use(held);
        inUse = held.certificate.fingerprint256;
      }
      return held;
    },
    renew: async (signal) => {
      const issued = await requestNodeServingCertificate(options.api, {
        signal,
        nodeName,
        caPem: options.caPem,
        altNames: options.altNames,
        // Nothing approves it by itself: wait long, then post a fresh one (upstream retries the same way).
        timeoutMs: 60 * 60_000,
        pollMs: 2_000,
        log: (message) => logger.info({ nodeName }, message),
      });
      const pemFile = await storeCurrentPem(options.pkiDir, 'kubelet-server', issued.certPem, issued.keyPem);
      logger.info({ nodeName, csr: issued.csrName, pemFile, notAfter: new Date(issued.notAfterMs).toISOString() }, 'serving certificate issued');
    },
  });
}
