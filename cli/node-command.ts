// `berth node`: the kubelet, driving either a CRI runtime named by --container-runtime-endpoint
// (containerd, CRI-O, a separate `berth runtime`) or, without it, berth's own runtime served
// in-process on --socket. Runs until SIGINT/SIGTERM; pods keep running after it stops.
import { loadYaml, type V1Taint } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { packageVersion } from '../common/package-version.js';
import { kubeletConfig, parseDuration, type KubeletConfig, type KubeletConfigInput } from '../kubelet/config.js';
import { bootstrapFromKubeconfig, kubeadmCredentialPaths } from '../kubelet/bootstrap/bootstrap-kubeconfig.js';
import { type CertificateRotation, startClientCertificateRotation } from '../kubelet/bootstrap/client-certificate-rotation.js';
import { startKubelet } from '../kubelet/kubelet.js';
import { parseNodeLabels, parseReservation } from '../kubelet/node-status.js';
import { parseTaints } from '../kubelet/taints.js';
import { parseCgroupDriver } from '../common/systemd/slice-names.js';
import { runtimeConfigFromFlags, type RuntimeFlags } from './runtime-options.js';
import { startRuntimeServices } from './runtime-services.js';

export interface NodeFlags extends RuntimeFlags {
  kubeconfig?: string;
  containerRuntimeEndpoint?: string;
  /** A Go duration (upstream's flag); absent: the config file's, else 2m. */
  runtimeRequestTimeout?: string;
  podManifestPath: string;
  nodeName: string;
  nodeIp?: string;
  maxPods: number;
  registerWithTaints?: string;
  nodeLabels?: string;
  kubeReserved?: string;
  systemReserved?: string;
  enforceNodeAllocatable?: string;
  devicePluginDir: string;
  /** Upstream's --cgroup-root: the cgroup every pod goes below. */
  cgroupRoot?: string;
  clusterDns: string[];
  clusterDomain: string;
  config?: string;
  address: string;
  port: number;
  readOnlyPort: number;
  clientCaFile?: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  /** Upstream's --rotate-server-certificates (the config file's serverTLSBootstrap). */
  rotateServerCertificates?: boolean;
  /** Upstream's --bootstrap-kubeconfig: TLS bootstrap into --kubeconfig when it is missing. */
  bootstrapKubeconfig?: string;
  /** Where bootstrapped client certificates go (upstream --cert-dir). */
  certDir?: string;
  /** --healthz-port; 0: off. Absent: the config file's healthzPort, else off. */
  healthzPort?: number;
}

/**
 * The fields berth reads from a KubeletConfiguration (kubelet.config.k8s.io/v1beta1) file. As
 * with the upstream kubelet, a value in the file replaces the flag's default; flags given
 * explicitly are applied by the caller after this.
 */
export function kubeletConfigFile(text: string, where: string): Partial<KubeletConfigInput> {
  const raw = loadYaml<Record<string, unknown> | null>(text) ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError(`${where}: not a KubeletConfiguration object`);
  if (raw['kind'] !== undefined && raw['kind'] !== 'KubeletConfiguration') {
    throw new InvalidArgumentError(`${where}: kind ${String(raw['kind'])} is not KubeletConfiguration`);
  }
  const out: Partial<KubeletConfigInput> = {};
  const str = (key: string): string | undefined => (typeof raw[key] === 'string' ? (raw[key] as string) : undefined);
  if (str('staticPodPath')) out.podManifestPath = str('staticPodPath');
  if (typeof raw['maxPods'] === 'number') out.maxPods = raw['maxPods'];
  if (Array.isArray(raw['registerWithTaints'])) out.registerWithTaints = raw['registerWithTaints'] as V1Taint[];
  if (Array.isArray(raw['clusterDNS'])) out.clusterDns = (raw['clusterDNS'] as unknown[]).map(String);
  if (str('clusterDomain')) out.clusterDomain = str('clusterDomain');
  const endpoint = str('containerRuntimeEndpoint');
  if (endpoint) out.runtimeEndpoint = endpoint;
  const requestTimeout = str('runtimeRequestTimeout');
  // kubeadm writes 0s, which upstream reads as "the default" (2m).
  const requestTimeoutMs = requestTimeout ? parseDuration(requestTimeout, `${where}: runtimeRequestTimeout`) : 0;
  if (requestTimeoutMs > 0) out.runtimeRequestTimeoutMs = requestTimeoutMs;
  if (str('cgroupRoot')) out.cgroupParent = str('cgroupRoot');
  if (str('cgroupDriver')) out.cgroupDriver = parseCgroupDriver(str('cgroupDriver') ?? '', `${where}: cgroupDriver`);
  if (str('podLogsDir')) out.podLogsDir = str('podLogsDir');
  if (typeof raw['serverTLSBootstrap'] === 'boolean') out.serverTlsBootstrap = raw['serverTLSBootstrap'];
  // kubeadm writes healthzPort 10248 on 127.0.0.1 and the cluster CA as the client CA.
  if (typeof raw['healthzPort'] === 'number' && raw['healthzPort'] > 0) {
    const host = str('healthzBindAddress') ?? '127.0.0.1';
    out.healthzAddress = `${host.includes(':') ? `[${host}]` : host}:${raw['healthzPort']}`;
  }
  const x509 = (raw['authentication'] as { x509?: { clientCAFile?: unknown } } | undefined)?.x509;
  if (typeof x509?.clientCAFile === 'string' && x509.clientCAFile !== '') out.clientCaFile = x509.clientCAFile;
  for (const key of ['kubeReserved', 'systemReserved'] as const) {
    const value = raw[key];
    if (value === undefined) continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgumentError(`${where}: ${key} must map resources to quantities`);
    out[key] = parseReservation(
      Object.entries(value)
        .map(([name, amount]) => `${name}=${String(amount)}`)
        .join(','),
      `${where}: ${key}`,
    );
  }
  const enforce = raw['enforceNodeAllocatable'];
  if (enforce !== undefined) {
    if (!Array.isArray(enforce)) throw new InvalidArgumentError(`${where}: enforceNodeAllocatable must be a list like [pods]`);
    out.enforceNodeAllocatable = enforce.map(String);
  }
  return out;
}

export function kubeletConfigFromFlags(flags: NodeFlags, runtimeEndpoint: string, fromFile: Partial<KubeletConfigInput> = {}): KubeletConfig {
  return kubeletConfig({
    ...fromFile,
    nodeName: flags.nodeName,
    nodeIp: flags.nodeIp,
    kubeconfigPath: flags.kubeconfig,
    podManifestPath: flags.podManifestPath === 'manifests/static' && fromFile.podManifestPath ? fromFile.podManifestPath : flags.podManifestPath,
    maxPods: flags.maxPods === 110 && fromFile.maxPods !== undefined ? fromFile.maxPods : flags.maxPods,
    registerWithTaints: flags.registerWithTaints !== undefined ? parseTaints(flags.registerWithTaints) : fromFile.registerWithTaints,
    nodeLabels: flags.nodeLabels !== undefined ? parseNodeLabels(flags.nodeLabels) : fromFile.nodeLabels,
    kubeReserved: flags.kubeReserved !== undefined ? parseReservation(flags.kubeReserved, '--kube-reserved') : fromFile.kubeReserved,
    systemReserved: flags.systemReserved !== undefined ? parseReservation(flags.systemReserved, '--system-reserved') : fromFile.systemReserved,
    // '' turns device plugins off.
    devicePluginDir: flags.devicePluginDir === '' ? undefined : flags.devicePluginDir,
    cgroupParent: flags.cgroupRoot ?? fromFile.cgroupParent,
    cgroupDriver: flags.cgroupDriver !== undefined ? parseCgroupDriver(flags.cgroupDriver, '--cgroup-driver') : fromFile.cgroupDriver,
    enforceNodeAllocatable: flags.enforceNodeAllocatable !== undefined ? flags.enforceNodeAllocatable.split(',') : fromFile.enforceNodeAllocatable,
    // The kubelet counts the GPUs in the same CDI specs the runtime reads and writes.
    cdiSpecDirs: flags.cdiSpecDir.length > 0 ? flags.cdiSpecDir : fromFile.cdiSpecDirs,
    clusterDns: flags.clusterDns.length > 0 ? flags.clusterDns : fromFile.clusterDns,
    clusterDomain: flags.clusterDomain === 'cluster.local' && fromFile.clusterDomain ? fromFile.clusterDomain : flags.clusterDomain,
    runtimeEndpoint: flags.containerRuntimeEndpoint ?? fromFile.runtimeEndpoint ?? runtimeEndpoint,
    runtimeRequestTimeoutMs: flags.runtimeRequestTimeout !== undefined ? parseDuration(flags.runtimeRequestTimeout, '--runtime-request-timeout') : fromFile.runtimeRequestTimeoutMs,
    rootDir: join(flags.rootDir, 'kubelet'),
    kubeletVersion: `v${packageVersion()}-berth`,
    // No authentication on the read-only port: loopback only, whatever --address says.
    readOnlyAddress: flags.readOnlyPort > 0 ? `127.0.0.1:${flags.readOnlyPort}` : undefined,
    serverAddress: flags.port > 0 ? `${flags.address.includes(':') ? `[${flags.address}]` : flags.address}:${flags.port}` : undefined,
    clientCaFile: flags.clientCaFile ?? fromFile.clientCaFile,
    healthzAddress: flags.healthzPort === undefined ? fromFile.healthzAddress : flags.healthzPort > 0 ? `127.0.0.1:${flags.healthzPort}` : undefined,
    tlsCertFile: flags.tlsCertFile,
    tlsPrivateKeyFile: flags.tlsPrivateKeyFile,
    serverTlsBootstrap: flags.rotateServerCertificates ?? fromFile.serverTlsBootstrap,
  });
}

/** `clusterDefaults`: what the cluster publishes for its kubelets (berth join); --config and flags win. */
export async function runNode(flags: NodeFlags, clusterDefaults: Partial<KubeletConfigInput> = {}): Promise<void> {
  const logger = createLogger(flags.logLevel);
  let fromFile: Partial<KubeletConfigInput> = { ...clusterDefaults };
  if (flags.config) {
    const text = await readFile(flags.config, 'utf8').catch((error: unknown) => {
      throw new InvalidArgumentError(`--config ${flags.config}: ${errorMessage(error)}`);
    });
    fromFile = { ...fromFile, ...kubeletConfigFile(text, flags.config) };
  }
  const external = flags.containerRuntimeEndpoint ?? fromFile.runtimeEndpoint;
  // Everything is validated before anything starts: a bad flag never leaves a runtime behind.
  // The embedded runtime runs the kubelet's driver: one setting for both (the flag, else the
  // KubeletConfiguration's cgroupDriver, else the runtime's config file or cgroupfs).
  const runtimeConfig = external ? undefined : runtimeConfigFromFlags({ ...flags, cgroupDriver: flags.cgroupDriver ?? fromFile.cgroupDriver });
  const config = kubeletConfigFromFlags(flags, external ?? runtimeConfig?.socketPath ?? '', fromFile);
  if (flags.bootstrapKubeconfig && !flags.kubeconfig) {
    throw new InvalidArgumentError('--bootstrap-kubeconfig needs --kubeconfig: the file the bootstrapped credentials are written to');
  }
  // kubeadm's kubelet: TLS bootstrap before anything starts, then the client certificate rotates.
  let rotation: CertificateRotation | undefined;
  if (flags.bootstrapKubeconfig && flags.kubeconfig) {
    const paths = kubeadmCredentialPaths(config.kubeconfigPath ?? flags.kubeconfig, flags.certDir ?? join(config.rootDir, 'pki'));
    await bootstrapFromKubeconfig({
      bootstrapKubeconfig: flags.bootstrapKubeconfig,
      paths,
      nodeName: config.nodeName,
      timeoutMs: 5 * 60_000,
      log: (message) => logger.info({ nodeName: config.nodeName }, message),
    });
    rotation = startClientCertificateRotation({ paths, nodeName: config.nodeName, logger });
  }
  const runtime = runtimeConfig
    ? await startRuntimeServices(runtimeConfig, { stream: { address: flags.streamAddress, port: flags.streamPort }, metricsAddress: flags.metricsAddress }, logger)
    : undefined;
  try {
    const kubelet = await startKubelet(config, { logger });
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals): void => {
        logger.info({ signal }, 'shutting down');
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await kubelet.stop();
  } finally {
    rotation?.stop();
    await runtime?.close();
  }
}
