// Token discovery as kubeadm does it (kubeadm/app/discovery/token): read kube-public/cluster-info
// from the endpoint without trusting it yet, check that the bootstrap signer signed its kubeconfig
// with our token (so whoever answered knows the token), check that its CA's public key is one of
// the pinned hashes (so it is the cluster we meant), then read it again over TLS verified with
// that CA and require the same content. Transient trouble (no answer yet, no signature for the
// token yet: the signer runs a moment after `kubeadm token create`) is retried until the
// deadline; a wrong signature or a wrong CA is refused at once.
import { loadYaml } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError, DeadlineExceededError, FailedPreconditionError, PermissionDeniedError, errorMessage } from '../../common/errors.js';
import type { BootstrapToken } from './bootstrap-token.js';
import { bundleMatchesPins } from './ca-pin.js';
import { checkDetachedSignature } from './cluster-info-signature.js';
import { UntrustedServerError, clusterInfoUrl, fetchClusterInfo, type FetchResult } from './cluster-info-fetch.js';

export interface DiscoveredCluster {
  /** The API server the cluster publishes in cluster-info (what the node talks to from now on). */
  server: string;
  /** PEM CA bundle, pinned. */
  caPem: string;
}

export interface DiscoveryOptions {
  endpoint: string;
  token: BootstrapToken;
  /** sha256:<hex> pins; empty only with unsafeSkipCaVerification. */
  caPins: string[];
  unsafeSkipCaVerification: boolean;
  timeoutMs: number;
  /** Waits between tries. */
  retryMs?: number;
  fetch?: (url: string, ca: string | undefined, timeoutMs: number) => Promise<FetchResult>;
  log?: (message: string) => void;
}

/** Retried until the deadline: the cluster may answer or sign a moment later. */
class NotYet extends Error {}

interface ClusterInfoKubeconfig {
  clusters?: { cluster?: { server?: string; 'certificate-authority-data'?: string } }[];
}

function parseClusterInfo(result: FetchResult, endpoint: string): Record<string, string> {
  if (result.status !== 200) throw new NotYet(`${endpoint} answered HTTP ${result.status} for kube-public/cluster-info`);
  let data: Record<string, string> | undefined;
  try {
    data = (JSON.parse(result.body) as { data?: Record<string, string> }).data;
  } catch {
    throw new FailedPreconditionError(`${endpoint} answered kube-public/cluster-info with something that is not a ConfigMap: is this a Kubernetes API server?`);
  }
  if (!data?.['kubeconfig']) throw new FailedPreconditionError(`kube-public/cluster-info on ${endpoint} has no kubeconfig: is this a kubeadm cluster?`);
  return data;
}

export function clusterFromKubeconfig(text: string, where: string): DiscoveredCluster {
  let config: ClusterInfoKubeconfig | null;
  try {
    config = loadYaml<ClusterInfoKubeconfig | null>(text);
  } catch (error) {
    throw new FailedPreconditionError(`${where}: its kubeconfig is not YAML: ${errorMessage(error)}`);
  }
  const cluster = config?.clusters?.[0]?.cluster;
  const caData = cluster?.['certificate-authority-data'];
  if (!cluster?.server || !caData) throw new FailedPreconditionError(`${where}: its kubeconfig names no server or no certificate-authority-data`);
  return { server: cluster.server, caPem: Buffer.from(caData, 'base64').toString('utf8') };
}

async function discoverOnce(options: DiscoveryOptions): Promise<DiscoveredCluster> {
  const { endpoint, token } = options;
  const fetch = options.fetch ?? fetchClusterInfo;
  const url = clusterInfoUrl(endpoint);
  let insecure: FetchResult;
  try {
    insecure = await fetch(url, undefined, 10_000);
  } catch (error) {
    throw new NotYet(`${url}: ${errorMessage(error)}`);
  }
  const data = parseClusterInfo(insecure, endpoint);
  const content = data['kubeconfig'] ?? '';
  const jws = data[`jws-kubeconfig-${token.id}`];
  if (jws === undefined) {
    throw new NotYet(`cluster-info on ${endpoint} carries no signature for token id ${token.id}: the token does not exist, has expired, or the controller-manager has not signed it yet`);
  }
  const signature = checkDetachedSignature(jws, content, token);
  if (!signature.ok) {
    throw new PermissionDeniedError(`the token does not match cluster-info on ${endpoint}: ${signature.reason}; use a token from \`kubeadm token create\` on that cluster`);
  }
  const cluster = clusterFromKubeconfig(content, `kube-public/cluster-info on ${endpoint}`);
  if (!options.unsafeSkipCaVerification && !bundleMatchesPins(cluster.caPem, options.caPins)) {
    throw new PermissionDeniedError(
      `the cluster CA of ${endpoint} matches none of --discovery-token-ca-cert-hash ${options.caPins.join(', ')}: this is not the cluster the hash names; check the hash with \`kubeadm token create --print-join-command\``,
    );
  }
  // The same read, now trusting only the pinned CA: a server without a certificate from that CA
  // (a man in the middle that relayed the first read) cannot answer it.
  let verified: FetchResult;
  try {
    verified = await fetch(url, cluster.caPem, 10_000);
  } catch (error) {
    if (error instanceof UntrustedServerError) {
      throw new PermissionDeniedError(`${endpoint} does not present a certificate from the CA in its own cluster-info: ${error.message}`);
    }
    throw new NotYet(`${url} (verified): ${errorMessage(error)}`);
  }
  if (parseClusterInfo(verified, endpoint)['kubeconfig'] !== content) {
    throw new PermissionDeniedError(`cluster-info on ${endpoint} changed between the unverified and the verified read; refusing to trust it`);
  }
  return cluster;
}

export async function discoverCluster(options: DiscoveryOptions): Promise<DiscoveredCluster> {
  if (options.caPins.length === 0 && !options.unsafeSkipCaVerification) {
    throw new FailedPreconditionError('token discovery needs --discovery-token-ca-cert-hash sha256:<hex> (or, trusting the network, --discovery-token-unsafe-skip-ca-verification)');
  }
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    try {
      return await discoverOnce(options);
    } catch (error) {
      if (error instanceof BerthError || !(error instanceof NotYet)) throw error;
      if (Date.now() >= deadline) {
        throw new DeadlineExceededError(`discovery through ${options.endpoint} gave up after ${Math.round(options.timeoutMs / 1000)} s: ${error.message}`);
      }
      options.log?.(error.message);
      await sleep(options.retryMs ?? 1_000);
    }
  }
}
