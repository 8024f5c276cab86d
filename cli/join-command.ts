// `berth join <host:port> --token T --discovery-token-ca-cert-hash sha256:H`: what `kubeadm join`
// plus the kubelet's TLS bootstrap do for a worker, in one command with no kubeadm on the node.
// The credentials come from kubelet/bootstrap/join.ts; the node then runs as `berth node` with
// them, the cluster's kube-system/kubelet-config supplying the defaults kubeadm would (cluster
// DNS and domain, the static pod path, serverTLSBootstrap) where no flag says otherwise. The
// kubelet API's serving certificate is the self-signed one `berth node` makes, or with
// serverTLSBootstrap one the cluster issues on a kubernetes.io/kubelet-serving CSR. The client
// certificate is rotated at 70-90 % of its lifetime while the node runs.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { parseDuration, type KubeletConfigInput } from '../kubelet/config.js';
import { parseBootstrapToken } from '../kubelet/bootstrap/bootstrap-token.js';
import { parseCaPins } from '../kubelet/bootstrap/ca-pin.js';
import { startClientCertificateRotation } from '../kubelet/bootstrap/client-certificate-rotation.js';
import { joinCluster } from '../kubelet/bootstrap/join.js';
import { nodeCredentialPaths } from '../kubelet/bootstrap/node-credentials.js';
import { parseJoinConfiguration } from './join-configuration.js';
import { kubeletConfigFile, runNode, type NodeFlags } from './node-command.js';
import { systemdIsInit } from '../common/systemd/systemd-units.js';

export interface JoinFlags extends Omit<NodeFlags, 'kubeconfig' | 'config'> {
  token?: string;
  tlsBootstrapToken?: string;
  discoveryTokenCaCertHash: string[];
  discoveryTokenUnsafeSkipCaVerification?: boolean;
  discoveryFile?: string;
  discoveryTimeout: string;
  tlsBootstrapTimeout: string;
  criSocket?: string;
  /** A kubeadm JoinConfiguration file. */
  config?: string;
}

/** The parts of the cluster's KubeletConfiguration a joining node takes as its defaults. */
export function clusterKubeletDefaults(text: string | undefined, log: (message: string) => void, systemdIsInit = true): Partial<KubeletConfigInput> {
  if (text === undefined) return {};
  try {
    const published = kubeletConfigFile(text, 'kube-system/kubelet-config');
    return {
      ...(published.clusterDns ? { clusterDns: published.clusterDns } : {}),
      ...(published.clusterDomain ? { clusterDomain: published.clusterDomain } : {}),
      // kubeadm's /etc/kubernetes/manifests: where a node's static pods live in this cluster.
      ...(published.podManifestPath ? { podManifestPath: published.podManifestPath } : {}),
      // kubeadm leaves it off; a cluster that turns it on approves its nodes' serving CSRs.
      ...(published.serverTlsBootstrap !== undefined ? { serverTlsBootstrap: published.serverTlsBootstrap } : {}),
      // kubeadm publishes cgroupDriver systemd, what its nodes run; a node without systemd as its
      // init cannot, and takes its runtime's driver instead (RuntimeConfig), as it would with none.
      ...(published.cgroupDriver && (published.cgroupDriver !== 'systemd' || systemdIsInit) ? { cgroupDriver: published.cgroupDriver } : {}),
    };
  } catch (error) {
    log(`kube-system/kubelet-config ignored: ${errorMessage(error)}`);
    return {};
  }
}

/** `flags` with what --config's JoinConfiguration says wherever no flag was `given`. */
async function withJoinConfiguration(endpoint: string | undefined, flags: JoinFlags, given: ReadonlySet<string>): Promise<{ endpoint: string | undefined; flags: JoinFlags }> {
  if (!flags.config) return { endpoint, flags };
  const text = await readFile(flags.config, 'utf8').catch((error: unknown) => {
    throw new InvalidArgumentError(`--config ${flags.config}: ${errorMessage(error)}`);
  });
  const { endpoint: fromFile, ...settings } = parseJoinConfiguration(text, `--config ${flags.config}`);
  const merged: JoinFlags = { ...flags };
  for (const [key, value] of Object.entries(settings)) {
    if (!given.has(key)) Object.assign(merged, { [key]: value });
  }
  return { endpoint: endpoint ?? fromFile, flags: merged };
}

export async function runJoin(endpointArgument: string | undefined, givenFlags: JoinFlags, given: ReadonlySet<string> = new Set()): Promise<void> {
  const { endpoint, flags } = await withJoinConfiguration(endpointArgument, givenFlags, given);
  const logger = createLogger(flags.logLevel);
  const log = (message: string): void => logger.info({ nodeName: flags.nodeName }, message);
  // Every flag is checked before anything is asked of the cluster or written.
  const bootstrapToken = flags.tlsBootstrapToken ?? flags.token;
  const token = bootstrapToken === undefined ? undefined : parseBootstrapToken(bootstrapToken, flags.tlsBootstrapToken ? '--tls-bootstrap-token' : '--token');
  const paths = nodeCredentialPaths(join(flags.rootDir, 'kubelet'));
  const joined = await joinCluster({
    endpoint,
    discoveryFile: flags.discoveryFile,
    token,
    caPins: parseCaPins(flags.discoveryTokenCaCertHash),
    unsafeSkipCaVerification: flags.discoveryTokenUnsafeSkipCaVerification === true,
    nodeName: flags.nodeName,
    paths,
    discoveryTimeoutMs: parseDuration(flags.discoveryTimeout, '--discovery-timeout'),
    tlsBootstrapTimeoutMs: parseDuration(flags.tlsBootstrapTimeout, '--tls-bootstrap-timeout'),
    log,
  });
  const rotation = startClientCertificateRotation({ paths, nodeName: flags.nodeName, logger });
  try {
    await runNode(
      {
        ...flags,
        kubeconfig: joined.kubeconfigPath,
        clientCaFile: flags.clientCaFile ?? joined.caFile,
        ...(flags.criSocket ? { containerRuntimeEndpoint: flags.criSocket } : {}),
      },
      clusterKubeletDefaults(joined.clusterKubeletConfig, log, await systemdIsInit()),
    );
  } finally {
    rotation.stop();
  }
}
