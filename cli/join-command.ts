// `berth join <host:port> --token T --discovery-token-ca-cert-hash sha256:H`: what `kubeadm join`
// plus the kubelet's TLS bootstrap do for a worker, in one command with no kubeadm on the node.
// The credentials come from kubelet/bootstrap/join.ts; the node then runs as `berth node` with
// them, the cluster's kube-system/kubelet-config supplying the defaults kubeadm would (cluster
// DNS and domain) where no flag says otherwise. The kubelet API's serving certificate stays the
// self-signed one `berth node` makes (no kubernetes.io/kubelet-serving CSR). The client
// certificate is rotated at 70-90 % of its lifetime while the node runs.
import { join } from 'node:path';
import { errorMessage } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { parseDuration, type KubeletConfigInput } from '../kubelet/config.js';
import { parseBootstrapToken } from '../kubelet/bootstrap/bootstrap-token.js';
import { parseCaPins } from '../kubelet/bootstrap/ca-pin.js';
import { startClientCertificateRotation } from '../kubelet/bootstrap/client-certificate-rotation.js';
import { joinCluster } from '../kubelet/bootstrap/join.js';
import { nodeCredentialPaths } from '../kubelet/bootstrap/node-credentials.js';
import { kubeletConfigFile, runNode, type NodeFlags } from './node-command.js';

export interface JoinFlags extends Omit<NodeFlags, 'kubeconfig' | 'config'> {
  token?: string;
  tlsBootstrapToken?: string;
  discoveryTokenCaCertHash: string[];
  discoveryTokenUnsafeSkipCaVerification?: boolean;
  discoveryFile?: string;
  discoveryTimeout: string;
  tlsBootstrapTimeout: string;
  criSocket?: string;
}

/** The parts of the cluster's KubeletConfiguration a joining node takes as its defaults. */
export function clusterKubeletDefaults(text: string | undefined, log: (message: string) => void): Partial<KubeletConfigInput> {
  if (text === undefined) return {};
  try {
    const published = kubeletConfigFile(text, 'kube-system/kubelet-config');
    return {
      ...(published.clusterDns ? { clusterDns: published.clusterDns } : {}),
      ...(published.clusterDomain ? { clusterDomain: published.clusterDomain } : {}),
    };
  } catch (error) {
    log(`kube-system/kubelet-config ignored: ${errorMessage(error)}`);
    return {};
  }
}

export async function runJoin(endpoint: string | undefined, flags: JoinFlags): Promise<void> {
  const logger = createLogger(flags.logLevel);
  const log = (message: string): void => logger.info({ nodeName: flags.nodeName }, message);
  // Every flag is checked before anything is asked of the cluster or written.
  const bootstrapToken = flags.tlsBootstrapToken ?? flags.token;
  const token = bootstrapToken === undefined ? undefined : parseBootstrapToken(bootstrapToken, flags.tlsBootstrapToken ? '--tls-bootstrap-token' : '--token');
  const kubeletDir = join(flags.rootDir, 'kubelet');
  const joined = await joinCluster({
    endpoint,
    discoveryFile: flags.discoveryFile,
    token,
    caPins: parseCaPins(flags.discoveryTokenCaCertHash),
    unsafeSkipCaVerification: flags.discoveryTokenUnsafeSkipCaVerification === true,
    nodeName: flags.nodeName,
    kubeletDir,
    discoveryTimeoutMs: parseDuration(flags.discoveryTimeout, '--discovery-timeout'),
    tlsBootstrapTimeoutMs: parseDuration(flags.tlsBootstrapTimeout, '--tls-bootstrap-timeout'),
    log,
  });
  const rotation = startClientCertificateRotation({ paths: nodeCredentialPaths(kubeletDir), nodeName: flags.nodeName, logger });
  try {
    await runNode(
      {
        ...flags,
        kubeconfig: joined.kubeconfigPath,
        clientCaFile: flags.clientCaFile ?? joined.caFile,
        ...(flags.criSocket ? { containerRuntimeEndpoint: flags.criSocket } : {}),
      },
      clusterKubeletDefaults(joined.clusterKubeletConfig, log),
    );
  } finally {
    rotation.stop();
  }
}
