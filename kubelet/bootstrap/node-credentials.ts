// The node's client credentials on disk, laid out as the kubelet lays them out:
//   <dir>/pki/kubelet-client-<timestamp>.pem   certificate chain + key of one issuance
//   <dir>/pki/kubelet-client-current.pem       symlink to the one in use (swapped on rotation)
//   <dir>/pki/ca.crt                           the cluster CA (kubelet API clients chain to it)
//   <dir>/kubeconfig                           server + embedded CA, client cert/key = the symlink
// Each file is written whole (temp + fsync + rename); the kubeconfig, written last, is what makes
// a node "joined": a crash before it leaves no half-joined node, only an unused pem.
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { loadYaml } from '@kubernetes/client-node';
import { syncDirectory, writeFileAtomic } from '../../common/atomic-file.js';
import { splitPemCertificates } from './ca-pin.js';
import { clusterFromKubeconfig } from './discovery.js';

export interface NodeCredentialPaths {
  dir: string;
  kubeconfig: string;
  pkiDir: string;
  current: string;
  caFile: string;
}

export function nodeCredentialPaths(kubeletDir: string): NodeCredentialPaths {
  const pkiDir = join(kubeletDir, 'pki');
  return { dir: kubeletDir, kubeconfig: join(kubeletDir, 'kubeconfig'), pkiDir, current: join(pkiDir, 'kubelet-client-current.pem'), caFile: join(pkiDir, 'ca.crt') };
}

export interface StoredCredentials {
  server: string;
  caPem: string;
  /** The certificate in use (the leaf of kubelet-client-current.pem). */
  certificate: X509Certificate;
  /** The file the current symlink points at. */
  pemFile: string;
  /** When that file was written: when the certificate arrived. */
  storedAtMs: number;
}

export function nodeKubeconfigText(server: string, caPem: string, clientPem: string): string {
  return `${JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'default-cluster', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
      users: [{ name: 'default-auth', user: { 'client-certificate': clientPem, 'client-key': clientPem } }],
      contexts: [{ name: 'default-context', context: { cluster: 'default-cluster', user: 'default-auth', namespace: 'default' } }],
      'current-context': 'default-context',
    },
    null,
    2,
  )}\n`;
}

const stamp = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[T:]/g, '-');

/**
 * Stores a newly issued certificate as <pkiDir>/<prefix>-<timestamp>.pem (chain + key) and makes
 * it <prefix>-current.pem, the kubelet's layout for both its client and its serving certificate.
 */
export async function storeCurrentPem(pkiDir: string, prefix: 'kubelet-client' | 'kubelet-server', certPem: string, keyPem: string, nowMs = Date.now()): Promise<string> {
  await mkdir(pkiDir, { recursive: true, mode: 0o700 });
  const pemFile = join(pkiDir, `${prefix}-${stamp(nowMs)}.pem`);
  await writeFileAtomic(pemFile, `${certPem.trimEnd()}\n${keyPem.trimEnd()}\n`, 0o600);
  // A symlink cannot be replaced in place: make the new one beside it and rename it over.
  const current = join(pkiDir, `${prefix}-current.pem`);
  const temp = `${current}.${process.pid}.tmp`;
  await rm(temp, { force: true });
  await symlink(pemFile, temp);
  await rename(temp, current);
  await syncDirectory(pkiDir);
  return pemFile;
}

/** Stores a newly issued client certificate and makes it current (used by join and by rotation). */
export function storeClientCertificate(paths: NodeCredentialPaths, certPem: string, keyPem: string, nowMs = Date.now()): Promise<string> {
  return storeCurrentPem(paths.pkiDir, 'kubelet-client', certPem, keyPem, nowMs);
}

export async function writeNodeCredentials(paths: NodeCredentialPaths, cluster: { server: string; caPem: string }, certPem: string, keyPem: string): Promise<void> {
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  await storeClientCertificate(paths, certPem, keyPem);
  await writeFileAtomic(paths.caFile, cluster.caPem, 0o644);
  await writeFileAtomic(paths.kubeconfig, nodeKubeconfigText(cluster.server, cluster.caPem, paths.current), 0o600);
}

/** What a previous join left; undefined when the node has never joined (no kubeconfig). */
export async function readNodeCredentials(paths: NodeCredentialPaths): Promise<StoredCredentials | undefined> {
  let text: string;
  try {
    text = await readFile(paths.kubeconfig, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const cluster = clusterFromKubeconfig(text, paths.kubeconfig);
  const user = loadYaml<{ users?: { user?: { 'client-certificate'?: string } }[] }>(text).users?.[0]?.user;
  const clientPem = user?.['client-certificate'] ?? paths.current;
  const [leaf] = splitPemCertificates(await readFile(clientPem, 'utf8'));
  if (!leaf) throw new Error(`${clientPem} holds no certificate`);
  const pemFile = await readlink(clientPem).catch(() => clientPem);
  return { ...cluster, certificate: new X509Certificate(leaf), pemFile, storedAtMs: (await stat(clientPem)).mtimeMs };
}
