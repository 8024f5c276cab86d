// The kubelet's one typed configuration, validated once at start and passed in to every part.
// Defaults follow the upstream kubelet's (KubeletConfiguration v1beta1) so habits carry over.
import type { V1Taint } from '@kubernetes/client-node';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { InvalidArgumentError } from '../common/errors.js';
import type { CgroupDriver } from '../common/systemd/slice-names.js';

/** Reservations as the kubelet reads them: cpu, memory and ephemeral-storage quantities. */
export type Reservation = Partial<Record<'cpu' | 'memory' | 'ephemeral-storage', string>>;

export interface KubeletTimings {
  /** How often node status is computed (upstream nodeStatusUpdateFrequency). */
  nodeStatusUpdateMs: number;
  /** How often an unchanged node status is still posted (upstream nodeStatusReportFrequency). */
  nodeStatusReportMs: number;
  leaseDurationSeconds: number;
  leaseRenewMs: number;
  /** Static pod manifest directory re-read period (upstream fileCheckFrequency). */
  staticPodCheckMs: number;
  /** PLEG relist period. */
  relistMs: number;
  /** Every pod worker is synced at least this often, events or not. */
  podResyncMs: number;
  /** How often configMap, secret, downwardAPI and token volumes of running pods are rewritten when changed (upstream syncFrequency). */
  volumeRefreshMs: number;
}

export interface KubeletConfig {
  nodeName: string;
  nodeIp: string;
  /** undefined: standalone, static pods only, no API server. */
  kubeconfigPath: string | undefined;
  /** undefined: no static pods. */
  podManifestPath: string | undefined;
  maxPods: number;
  /** Taints the Node is registered with (upstream --register-with-taints). */
  registerWithTaints: V1Taint[];
  /** Where CDI specs are read from: the GPUs in them are the node's nvidia.com/gpu. */
  cdiSpecDirs: string[];
  /** Where device plugins register (kubelet.sock) and serve their sockets; undefined: no device plugins. */
  devicePluginDir: string | undefined;
  /** Labels the Node registers with (upstream --node-labels); the well-known ones win. */
  nodeLabels: Record<string, string>;
  /** Resources set aside for Kubernetes daemons and for the system; allocatable leaves them out. */
  kubeReserved: Reservation;
  systemReserved: Reservation;
  /**
   * Whether the pods' cgroup (cgroupParent) is held to the node allocatable: capacity − the
   * reservations (upstream --enforce-node-allocatable=pods, the default; 'none' turns it off).
   */
  enforcePodsAllocatable: boolean;
  clusterDns: string[];
  clusterDomain: string;
  /** unix:///path or a bare socket path of the CRI runtime to drive. */
  runtimeEndpoint: string;
  /**
   * The deadline of each CRI call (upstream --runtime-request-timeout, 2 minutes). Image pulls
   * have none; they are cancelled when their pod is deleted.
   */
  runtimeRequestTimeoutMs: number;
  /** The kubelet's own state; its filesystem is the node's ephemeral storage. */
  rootDir: string;
  /** Where containers' logs go: <podLogsDir>/<ns>_<name>_<uid>/<container>/<restart>.log */
  podLogsDir: string;
  /** cgroupfs parent of every pod sandbox (absolute, e.g. /kubepods); the systemd driver names it as a slice (kubepods.slice). */
  cgroupParent: string;
  /**
   * cgroupfs or systemd (upstream cgroupDriver / --cgroup-driver); undefined: the runtime's, as
   * its RuntimeConfig answers (cgroup-driver.ts), which also refuses a mismatch.
   */
  cgroupDriver: CgroupDriver | undefined;
  kubeletVersion: string;
  /** host:port of the read-only HTTP port (metrics, stats); undefined: not served. */
  readOnlyAddress: string | undefined;
  /** host:port of the authenticated HTTPS kubelet API; served only with an API server. */
  serverAddress: string | undefined;
  /** host:port of the unauthenticated /healthz (upstream healthzBindAddress:healthzPort); undefined: not served. */
  healthzAddress: string | undefined;
  /** CA bundle for client certificates on the kubelet API (upstream --client-ca-file). */
  clientCaFile: string | undefined;
  /** Serving certificate and key; both undefined: a self-signed pair under rootDir/pki. */
  tlsCertFile: string | undefined;
  tlsPrivateKeyFile: string | undefined;
  /**
   * Ask the cluster for the serving certificate (a kubernetes.io/kubelet-serving CSR) and rotate
   * it (upstream serverTLSBootstrap / --rotate-server-certificates); ignored with tlsCertFile.
   */
  serverTlsBootstrap: boolean;
  timings: KubeletTimings;
}

export interface KubeletConfigInput {
  nodeName: string;
  nodeIp?: string | undefined;
  kubeconfigPath?: string | undefined;
  podManifestPath?: string | undefined;
  maxPods?: number | undefined;
  registerWithTaints?: V1Taint[] | undefined;
  cdiSpecDirs?: string[] | undefined;
  devicePluginDir?: string | undefined;
  nodeLabels?: Record<string, string> | undefined;
  kubeReserved?: Reservation | undefined;
  systemReserved?: Reservation | undefined;
  /** Upstream's enforceNodeAllocatable list: ['pods'] (default) or [] / ['none']. */
  enforceNodeAllocatable?: string[] | undefined;
  clusterDns?: string[] | undefined;
  clusterDomain?: string | undefined;
  runtimeEndpoint: string;
  runtimeRequestTimeoutMs?: number | undefined;
  rootDir?: string | undefined;
  podLogsDir?: string | undefined;
  cgroupParent?: string | undefined;
  cgroupDriver?: CgroupDriver | undefined;
  kubeletVersion: string;
  readOnlyAddress?: string | undefined;
  serverAddress?: string | undefined;
  healthzAddress?: string | undefined;
  clientCaFile?: string | undefined;
  tlsCertFile?: string | undefined;
  tlsPrivateKeyFile?: string | undefined;
  serverTlsBootstrap?: boolean | undefined;
  timings?: Partial<KubeletTimings> | undefined;
}

/**
 * Upstream's --enforce-node-allocatable values. berth holds the pods' cgroup to the allocatable;
 * system-reserved and kube-reserved enforcement need cgroups of their own for the system and the
 * daemons (--system-reserved-cgroup, --kube-reserved-cgroup), which berth does not manage.
 */
function enforcesPods(values: readonly string[]): boolean {
  const set = new Set(values.map((v) => v.trim()).filter((v) => v !== ''));
  for (const value of set) {
    if (value === 'system-reserved' || value === 'kube-reserved') {
      throw new InvalidArgumentError(`enforce node allocatable ${value}: berth enforces only 'pods' (it manages no ${value} cgroup); leave ${value} out`);
    }
    if (value !== 'pods' && value !== 'none') throw new InvalidArgumentError(`enforce node allocatable ${JSON.stringify(value)} is not one of pods, none`);
  }
  if (set.has('none') && set.size > 1) throw new InvalidArgumentError("enforce node allocatable 'none' cannot be combined with other values");
  return set.has('pods');
}

const durationUnitsMs: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 1e-3, µs: 1e-3, ns: 1e-6 };

/** A Go duration as the kubelet's flags and config file take it ("2m", "1m30s", "90s") in ms. */
export function parseDuration(text: string, where: string): number {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)/g)];
  if (trimmed === '' || parts.map((part) => part[0]).join('') !== trimmed) {
    throw new InvalidArgumentError(`${where} ${JSON.stringify(text)} is not a duration like 2m, 90s or 1m30s`);
  }
  return parts.reduce((sum, part) => sum + Number(part[1]) * (durationUnitsMs[part[2] ?? ''] ?? 0), 0);
}

/** host:port with a numeric port (0: any free one); IPv6 hosts in brackets. */
function listenAddress(text: string): string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(text);
  if (!match || Number(match[2]) > 65535) throw new InvalidArgumentError(`listen address ${JSON.stringify(text)} must be host:port`);
  return text;
}

export const defaultTimings: KubeletTimings = {
  nodeStatusUpdateMs: 10_000,
  nodeStatusReportMs: 5 * 60_000,
  leaseDurationSeconds: 40,
  leaseRenewMs: 10_000,
  staticPodCheckMs: 20_000,
  relistMs: 1_000,
  podResyncMs: 10_000,
  volumeRefreshMs: 60_000,
};

// RFC 1123 subdomain: what the API server accepts as a Node name.
const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The first non-internal IPv4 address of this machine, else loopback. */
export function defaultNodeIp(interfaces = networkInterfaces()): string {
  for (const addresses of Object.values(interfaces)) {
    const found = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found) return found.address;
  }
  return '127.0.0.1';
}

function absolutePath(field: string, path: string): string {
  if (path.trim() === '') throw new InvalidArgumentError(`${field} must not be empty`);
  return isAbsolute(path) ? path : resolve(path);
}

export function kubeletConfig(input: KubeletConfigInput): KubeletConfig {
  const nodeName = input.nodeName.toLowerCase();
  if (nodeName.length > 253 || !subdomain.test(nodeName)) {
    throw new InvalidArgumentError(`node name ${JSON.stringify(input.nodeName)} is not a valid RFC 1123 subdomain: use lower-case letters, digits, '-' and '.' (set --node-name)`);
  }
  const nodeIp = input.nodeIp ?? defaultNodeIp();
  if (isIP(nodeIp) === 0) throw new InvalidArgumentError(`node IP ${JSON.stringify(nodeIp)} is not an IP address (set --node-ip)`);
  const maxPods = input.maxPods ?? 110;
  if (!Number.isInteger(maxPods) || maxPods < 1 || maxPods > 10_000) {
    throw new InvalidArgumentError(`max pods ${String(maxPods)} must be an integer between 1 and 10000`);
  }
  const clusterDns = input.clusterDns ?? [];
  for (const server of clusterDns) {
    if (isIP(server) === 0) throw new InvalidArgumentError(`cluster DNS ${JSON.stringify(server)} is not an IP address`);
  }
  const clusterDomain = input.clusterDomain ?? 'cluster.local';
  if (!subdomain.test(clusterDomain)) throw new InvalidArgumentError(`cluster domain ${JSON.stringify(clusterDomain)} is not a DNS name`);
  if (input.runtimeEndpoint.trim() === '') {
    throw new InvalidArgumentError('container runtime endpoint must not be empty (set --container-runtime-endpoint)');
  }
  const cgroupParent = input.cgroupParent ?? '/kubepods';
  if (!cgroupParent.startsWith('/') || cgroupParent.split('/').includes('..')) {
    throw new InvalidArgumentError(`cgroup parent ${JSON.stringify(cgroupParent)} must be an absolute cgroup path without '..'`);
  }
  if ((input.tlsCertFile === undefined) !== (input.tlsPrivateKeyFile === undefined)) {
    throw new InvalidArgumentError('a TLS certificate file and a private key file go together: give both or neither');
  }
  const runtimeRequestTimeoutMs = input.runtimeRequestTimeoutMs ?? 2 * 60_000;
  if (!Number.isFinite(runtimeRequestTimeoutMs) || runtimeRequestTimeoutMs <= 0) {
    throw new InvalidArgumentError(`runtime request timeout ${String(runtimeRequestTimeoutMs)} ms must be positive (set --runtime-request-timeout, e.g. 2m)`);
  }
  const timings = { ...defaultTimings, ...input.timings };
  for (const [name, value] of Object.entries(timings)) {
    if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`timing ${name}=${String(value)} must be positive`);
  }
  return {
    nodeName,
    nodeIp,
    kubeconfigPath: input.kubeconfigPath === undefined ? undefined : absolutePath('kubeconfig', input.kubeconfigPath),
    podManifestPath: input.podManifestPath === undefined ? undefined : absolutePath('pod manifest path', input.podManifestPath),
    maxPods,
    registerWithTaints: input.registerWithTaints ?? [],
    cdiSpecDirs: (input.cdiSpecDirs ?? ['/etc/cdi', '/var/run/cdi']).map((dir) => absolutePath('CDI spec dir', dir)),
    devicePluginDir: input.devicePluginDir === undefined ? undefined : absolutePath('device plugin dir', input.devicePluginDir),
    nodeLabels: input.nodeLabels ?? {},
    kubeReserved: input.kubeReserved ?? {},
    systemReserved: input.systemReserved ?? {},
    enforcePodsAllocatable: enforcesPods(input.enforceNodeAllocatable ?? ['pods']),
    clusterDns,
    clusterDomain,
    runtimeEndpoint: input.runtimeEndpoint,
    runtimeRequestTimeoutMs,
    rootDir: absolutePath('root dir', input.rootDir ?? '/var/lib/berth/kubelet'),
    podLogsDir: absolutePath('pod logs dir', input.podLogsDir ?? '/var/log/pods'),
    cgroupParent,
    cgroupDriver: input.cgroupDriver,
    kubeletVersion: input.kubeletVersion,
    readOnlyAddress: input.readOnlyAddress === undefined ? undefined : listenAddress(input.readOnlyAddress),
    serverAddress: input.serverAddress === undefined ? undefined : listenAddress(input.serverAddress),
    healthzAddress: input.healthzAddress === undefined ? undefined : listenAddress(input.healthzAddress),
    clientCaFile: input.clientCaFile === undefined ? undefined : absolutePath('client CA file', input.clientCaFile),
    tlsCertFile: input.tlsCertFile === undefined ? undefined : absolutePath('TLS certificate file', input.tlsCertFile),
    tlsPrivateKeyFile: input.tlsPrivateKeyFile === undefined ? undefined : absolutePath('TLS private key file', input.tlsPrivateKeyFile),
    serverTlsBootstrap: input.serverTlsBootstrap ?? false,
    timings,
  };
}
