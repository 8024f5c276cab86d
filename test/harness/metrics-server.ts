// The real metrics-server (pinned Go module) behind the cluster fixture's aggregation layer, so
// `kubectl top` works as on a kubeadm cluster: it runs on the host as the kube-system/metrics-server
// service account (the RBAC of its upstream manifest), scrapes every node's kubelet /metrics/resource
// on the port the Node advertises, and is registered as v1beta1.metrics.k8s.io.
//
// The API server reaches it at an endpoint address, and Endpoints refuse loopback addresses: it
// listens on the host's first non-loopback IPv4 address. A host with none cannot run it (the
// caller gets undefined and says why).
import { mkdirSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { fetchInsecure, type Cluster } from './cluster.js';
import { startDaemon, type Daemon } from './daemon.js';
import { freePort } from './ports.js';
import { goTool } from './tools.js';

export interface MetricsServer {
  address: string;
  stop(): Promise<void>;
}

/** The host's first non-loopback, non-link-local IPv4 address. */
export function hostAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('169.254.')) return a.address;
    }
  }
  return undefined;
}

const rbac = [
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'metrics-server', namespace: 'kube-system' } },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'system:metrics-server' },
    rules: [
      { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
    ],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'system:metrics-server' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:metrics-server' },
    subjects: [{ kind: 'ServiceAccount', name: 'metrics-server', namespace: 'kube-system' }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'metrics-server:system:auth-delegator' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
    subjects: [{ kind: 'ServiceAccount', name: 'metrics-server', namespace: 'kube-system' }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'metrics-server-auth-reader', namespace: 'kube-system' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extension-apiserver-authentication-reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'metrics-server', namespace: 'kube-system' }],
  },
];

function registration(ip: string, port: number): object[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'metrics-server', namespace: 'kube-system' },
      spec: { ports: [{ name: 'https', port: 443, targetPort: port, protocol: 'TCP' }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'metrics-server', namespace: 'kube-system' },
      subsets: [{ addresses: [{ ip }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1beta1.metrics.k8s.io' },
      spec: {
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        service: { name: 'metrics-server', namespace: 'kube-system', port: 443 },
        // metrics-server serves a self-signed certificate it makes at start.
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    },
  ];
}

function apply(cluster: Cluster, dir: string, name: string, objects: object[]): Promise<string> {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  return cluster.kubectl('apply', '-f', path);
}

export async function startMetricsServer(cluster: Cluster): Promise<MetricsServer | undefined> {
  const ip = hostAddress();
  if (!ip) return undefined;
  const dir = join(cluster.workDir, 'metrics-server');
  mkdirSync(dir, { recursive: true });
  await apply(cluster, dir, 'rbac', rbac);
  const token = (await cluster.kubectl('create', 'token', 'metrics-server', '-n', 'kube-system', '--duration=48h')).trim();
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fixture', cluster: { server: cluster.server, 'certificate-authority': join(cluster.pkiDir, 'ca.crt') } }],
      users: [{ name: 'metrics-server', user: { token } }],
      contexts: [{ name: 'fixture', context: { cluster: 'fixture', user: 'metrics-server' } }],
      'current-context': 'fixture',
    }),
    { mode: 0o600 },
  );
  const port = await freePort();
  const daemon: Daemon = await startDaemon({
    name: 'metrics-server',
    command: goTool('metrics-server'),
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      `--bind-address=${ip}`,
      `--secure-port=${port}`,
      `--cert-dir=${join(dir, 'certs')}`,
      // As its upstream manifest runs it, plus what a test node needs: kubelets here serve
      // self-signed certificates and advertise their own ports.
      '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
      '--kubelet-use-node-status-port',
      '--kubelet-insecure-tls',
      '--metric-resolution=10s',
      '--kubelet-request-timeout=5s',
    ],
    logPath: join(cluster.workDir, 'logs', 'metrics-server.log'),
    ready: async () => (await fetchInsecure(`https://${ip}:${port}/livez`)) === 'ok',
    timeoutMs: 60_000,
  });
  try {
    await apply(cluster, dir, 'registration', registration(ip, port));
  } catch (error) {
    await daemon.stop();
    throw error;
  }
  return { address: `${ip}:${port}`, stop: () => daemon.stop() };
}
