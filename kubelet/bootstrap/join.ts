// `berth join`'s credential half: end with a node kubeconfig for `nodeName` in the cluster, either
// the one a previous join left (reused while its certificate is valid and it is for this node and,
// when hashes are given, this cluster) or a new one: discovery (token, or a kubeconfig file), a
// refusal when a Ready Node of that name already exists, then TLS bootstrap with the token.
// Nothing is written before the cluster is verified and the certificate issued.
import { readFile } from 'node:fs/promises';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, errorMessage } from '../../common/errors.js';
import { KubeApi } from '../kube-api.js';
import { formatBootstrapToken, type BootstrapToken } from './bootstrap-token.js';
import { bundleMatchesPins } from './ca-pin.js';
import { requestNodeClientCertificate } from './client-certificate-request.js';
import { nodeSubject } from './client-csr.js';
import { clusterFromKubeconfig, discoverCluster, type DiscoveredCluster } from './discovery.js';
import { type NodeCredentialPaths, readNodeCredentials, writeNodeCredentials } from './node-credentials.js';

export interface JoinRequest {
  /** host:port of the API server (token discovery); undefined with discoveryFile. */
  endpoint: string | undefined;
  /** A kubeconfig naming the cluster (server + CA): discovery by file. */
  discoveryFile: string | undefined;
  /** For discovery and TLS bootstrap (kubeadm's --token). */
  token: BootstrapToken | undefined;
  caPins: string[];
  unsafeSkipCaVerification: boolean;
  nodeName: string;
  /** Where the credentials go (nodeCredentialPaths: below the kubelet's directory, or kubeadm's layout). */
  paths: NodeCredentialPaths;
  discoveryTimeoutMs: number;
  tlsBootstrapTimeoutMs: number;
  log: (message: string) => void;
}

export interface JoinResult {
  kubeconfigPath: string;
  /** The cluster CA as a file (kubeadm's /etc/kubernetes/pki/ca.crt): kubelet API clients chain to it. */
  caFile: string;
  /** True when a previous join's credentials were used as they were. */
  reused: boolean;
  csrName: string | undefined;
  /** kube-system/kubelet-config's KubeletConfiguration text, where the cluster publishes one. */
  clusterKubeletConfig: string | undefined;
}

async function clusterKubeletConfig(api: KubeApi, log: (message: string) => void): Promise<string | undefined> {
  try {
    return (await api.readConfigMap('kube-system', 'kubelet-config'))?.data?.['kubelet'];
  } catch (error) {
    log(`kube-system/kubelet-config not readable, using berth's defaults: ${errorMessage(error)}`);
    return undefined;
  }
}

async function reuse(request: JoinRequest): Promise<JoinResult | undefined> {
  const { paths } = request;
  const stored = await readNodeCredentials(paths).catch((error: unknown) => {
    throw new FailedPreconditionError(`${paths.kubeconfig} is unreadable (${errorMessage(error)}): remove it to join again`);
  });
  if (!stored) return undefined;
  const expectedCn = `CN=${nodeSubject(request.nodeName).commonName}`;
  if (!stored.certificate.subject.split('\n').includes(expectedCn)) {
    throw new FailedPreconditionError(
      `${paths.kubeconfig} holds the credentials of ${stored.certificate.subject.replace(/\n/g, ', ')}, not node ${request.nodeName}: join with that --node-name, or remove ${paths.kubeconfig} to join anew`,
    );
  }
  if (request.caPins.length > 0 && !bundleMatchesPins(stored.caPem, request.caPins)) {
    throw new FailedPreconditionError(
      `this node already joined ${stored.server}, whose CA matches none of the given --discovery-token-ca-cert-hash: remove ${paths.kubeconfig} to join another cluster`,
    );
  }
  if (Date.parse(stored.certificate.validTo) <= Date.now()) {
    request.log(`the client certificate in ${stored.pemFile} expired at ${stored.certificate.validTo}: bootstrapping a new one`);
    return undefined;
  }
  request.log(`already joined ${stored.server} as ${request.nodeName}: reusing ${paths.kubeconfig} (certificate valid until ${stored.certificate.validTo})`);
  return {
    kubeconfigPath: paths.kubeconfig,
    caFile: paths.caFile,
    reused: true,
    csrName: undefined,
    clusterKubeletConfig: await clusterKubeletConfig(KubeApi.fromFile(paths.kubeconfig), request.log),
  };
}

async function discover(request: JoinRequest, token: BootstrapToken): Promise<DiscoveredCluster> {
  if (request.discoveryFile) {
    const text = await readFile(request.discoveryFile, 'utf8').catch((error: unknown) => {
      throw new InvalidArgumentError(`--discovery-file ${request.discoveryFile}: ${errorMessage(error)}`);
    });
    return clusterFromKubeconfig(text, `--discovery-file ${request.discoveryFile}`);
  }
  if (!request.endpoint) throw new InvalidArgumentError('berth join needs the API server endpoint (host:port) or --discovery-file');
  return discoverCluster({
    endpoint: request.endpoint,
    token,
    caPins: request.caPins,
    unsafeSkipCaVerification: request.unsafeSkipCaVerification,
    timeoutMs: request.discoveryTimeoutMs,
    log: request.log,
  });
}

export async function joinCluster(request: JoinRequest): Promise<JoinResult> {
  const reused = await reuse(request);
  if (reused) return reused;
  const token = request.token;
  if (!token) throw new InvalidArgumentError('berth join needs --token <id.secret> (kubeadm token create) for a node that has not joined yet');
  const cluster = await discover(request, token);
  request.log(`cluster ${cluster.server} verified; TLS bootstrap as system:node:${request.nodeName}`);
  const api = KubeApi.withToken(cluster.server, cluster.caPem, formatBootstrapToken(token));
  const existing = await api.findNode(request.nodeName);
  if (existing?.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True')) {
    throw new AlreadyExistsError(`a Node named ${request.nodeName} is already Ready in ${cluster.server}: delete it (kubectl delete node ${request.nodeName}) or join with another --node-name`);
  }
  const kubeletConfig = await clusterKubeletConfig(api, request.log);
  const issued = await requestNodeClientCertificate(api, {
    nodeName: request.nodeName,
    caPem: cluster.caPem,
    timeoutMs: request.tlsBootstrapTimeoutMs,
    log: request.log,
  });
  const { paths } = request;
  await writeNodeCredentials(paths, cluster, issued.certPem, issued.keyPem);
  request.log(`certificatesigningrequest ${issued.csrName} issued; credentials written to ${paths.kubeconfig}`);
  return { kubeconfigPath: paths.kubeconfig, caFile: paths.caFile, reused: false, csrName: issued.csrName, clusterKubeletConfig: kubeletConfig };
}
