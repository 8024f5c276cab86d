// The kubelet assembled from its parts (the composition root): node status and lease when an API
// server is configured, static pods when a manifest directory is, pod workers behind the sync
// loop, the PLEG and the status manager. Stopping it leaves pods running: a restarted kubelet
// finds them again by their labels.
import type { V1Pod, V1Taint } from '@kubernetes/client-node';
import { mkdir } from 'node:fs/promises';
import { arch, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { errorMessage, FailedPreconditionError, UnavailableError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { CriClient } from '../cri/client/cri-client.js';
import { ApiPodSource } from './api-pod-source.js';
import { kubeconfigCaPem, startServingCertificate } from './bootstrap/serving-certificate.js';
import type { KubeApiPort } from './api-port.js';
import { RestartBackoff } from './backoff.js';
import type { KubeletConfig } from './config.js';
import { containerNameLabel, podUidLabel, type CriPort } from './cri-port.js';
import { KubeApi } from './kube-api.js';
import { KubeletMetrics } from './kubelet-metrics.js';
import { LeaseRenewer } from './lease.js';
import { goArch, readMachineFacts } from './machine-facts.js';
import { MirrorPods } from './mirror-pods.js';
import { nodePodDirs } from './pod-dirs.js';
import { cgroupfsPodCleaner } from './pod-cgroup-dirs.js';
import { resolveCgroupDriver, systemdPodCgroups, systemdTierWriter, type RuntimeDriverAnswer } from './cgroup-driver.js';
import { BusctlSystemd, systemdIsInit } from '../common/systemd/systemd-units.js';
import { podLogDirectory } from './pod-config.js';
import { PodInputs } from './pod-inputs.js';
import { allocatableAmounts, nodeLabels, NodeStatusReporter, podsCgroupAmounts } from './node-status.js';
import { cgroupfsTierWriter, QosCgroups } from './qos-cgroups.js';
import { followContainerEvents } from './container-events.js';
import { devicesAnnotation, DeviceAllocator } from './devices/device-allocator.js';
import { DevicePlugins, pluginDevicesAnnotation } from './devices/device-plugins.js';
import { gpuResource, readGpuInventory } from './devices/gpu-inventory.js';
import { Pleg } from './pleg.js';
import { PodStatusCache } from './pod-status-cache.js';
import { terminationMessageReader } from './termination-message.js';
import { startHealthzServer } from './server/healthz-server.js';
import { startKubeletServer } from './server/kubelet-server.js';
import { selfSignedServingCert } from './server/serving-cert.js';
import { startReadOnlyServer } from './stats/read-only-server.js';
import type { GpuSource } from './stats/pages.js';
import type { StorageDirs } from './stats/storage.js';
import { nvidiaSmi } from './devices/nvidia-smi.js';
import { StaticPodSource } from './static-pods.js';
import { StatusManager } from './status-manager.js';
import { SyncLoop, type PodSourceName } from './sync-loop.js';

export interface KubeletOptions {
  logger: Logger;
  /** Defaults to a CriClient on config.runtimeEndpoint. */
  cri?: CriPort & { close?: () => void };
  /** Defaults to KubeApi from config.kubeconfigPath (none: standalone). */
  api?: KubeApiPort;
  /** Where machine facts come from (tests may point these elsewhere). */
  roots?: { procDir: string; etcDir: string };
}

export interface Kubelet {
  readonly syncLoop: SyncLoop;
  readonly nodeUid: string | undefined;
  /** host:port of the read-only port, when served. */
  readonly readOnlyAddress: string | undefined;
  /** Device counts by extended resource (CDI GPUs, device plugins): the Node's capacity for them. */
  extendedResources(): Record<string, number>;
  stop(): Promise<void>;
}

/** The runtime's cgroup driver from RuntimeConfig; undefined where it does not implement the call. */
async function runtimeDriver(cri: CriPort): Promise<RuntimeDriverAnswer> {
  if (!cri.runtimeConfig) return undefined;
  try {
    const answer = (await cri.runtimeConfig()).linux?.cgroupDriver;
    return answer === 'SYSTEMD' || answer === 'CGROUPFS' ? answer : undefined;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'UNIMPLEMENTED') return undefined;
    throw error;
  }
}

async function retry<T>(what: string, attempts: number, delayMs: number, logger: Logger, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts) throw new UnavailableError(`${what} failed ${attempts} times: ${errorMessage(error)}`, { cause: error });
      logger.warn({ attempt, err: errorMessage(error) }, `${what} failed; retrying`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

export async function startKubelet(config: KubeletConfig, options: KubeletOptions): Promise<Kubelet> {
  const logger = options.logger.child({ component: 'kubelet', node: config.nodeName });
  // Its filesystem is what the node reports as ephemeral storage: it must exist before the first status.
  await mkdir(config.rootDir, { recursive: true, mode: 0o700 });
  const cri = options.cri ?? new CriClient({ endpoint: config.runtimeEndpoint, timeoutMs: config.runtimeRequestTimeoutMs });
  try {
    return await assemble(config, options, logger, cri);
  } catch (error) {
    if (!options.cri) cri.close?.();
    throw error;
  }
}

async function assemble(configured: KubeletConfig, options: KubeletOptions, logger: Logger, cri: CriPort & { close?: () => void }): Promise<Kubelet> {
  const version = await retry(`CRI Version on ${configured.runtimeEndpoint}`, 30, 1_000, logger, () => cri.version());
  logger.info({ runtime: version.runtimeName, runtimeVersion: version.runtimeVersion }, 'connected to the container runtime');
  const cgroupDriver = resolveCgroupDriver(configured.cgroupDriver, await runtimeDriver(cri), configured.runtimeEndpoint);
  if (cgroupDriver === 'systemd' && !(await systemdIsInit())) {
    throw new FailedPreconditionError('cgroupDriver systemd needs systemd as the init (PID 1), and /run/systemd/system is missing here: use cgroupDriver cgroupfs on the kubelet and the runtime');
  }
  const config: KubeletConfig = { ...configured, cgroupDriver };
  const systemd = cgroupDriver === 'systemd' ? new BusctlSystemd() : undefined;
  logger.info({ cgroupDriver }, 'cgroup driver');

  const api = options.api ?? (config.kubeconfigPath ? KubeApi.fromFile(config.kubeconfigPath) : undefined);
  const stops: (() => void | Promise<void>)[] = [];
  let nodeUid: string | undefined;

  // The node's GPUs from the CDI specs, read again every 30 s (a driver or operator may add some),
  // and who holds which: assignments found on containers an earlier kubelet started are kept.
  let gpus = await readGpuInventory(config.cdiSpecDirs);
  if (gpus.length > 0) logger.info({ gpus }, `${gpus.length} ${gpuResource} found in the CDI specs`);
  const inventoryTimer = setInterval(() => {
    void readGpuInventory(config.cdiSpecDirs).then((found) => (gpus = found));
  }, 30_000);
  inventoryTimer.unref();
  stops.push(() => clearInterval(inventoryTimer));
  const devices = new DeviceAllocator(() => gpus);
  // DCGM-named GPU metrics from nvidia-smi where the node has it, each GPU with its holder.
  const gpuSource: GpuSource = { query: nvidiaSmi(), holders: () => devices.holders() };
  const storageDirs: StorageDirs = {
    rootDir: config.rootDir,
    logDir: (pod, container) => {
      try {
        return join(podLogDirectory(config.podLogsDir, pod), container);
      } catch {
        return undefined;
      }
    },
  };
  let devicePlugins: DevicePlugins | undefined;
  if (config.devicePluginDir) {
    const plugins = new DevicePlugins({ dir: config.devicePluginDir, logger });
    await plugins.start();
    stops.push(() => plugins.stop());
    devicePlugins = plugins;
  }
  // Devices given out by an earlier kubelet stay with the containers that still run.
  for (const container of (await cri.listContainers()).containers) {
    const uid = container.labels[podUidLabel];
    if (!uid || container.state === 'CONTAINER_EXITED') continue;
    const name = container.labels[containerNameLabel] ?? '';
    devices.adopt(uid, name, container.annotations[devicesAnnotation]);
    devicePlugins?.adopt(uid, name, container.annotations[pluginDevicesAnnotation]);
  }
  // The CDI specs' GPUs, then what device plugins serve (a plugin's count wins for its resource).
  const extendedResources = (): Record<string, number> => ({ ...(gpus.length > 0 ? { [gpuResource]: gpus.length } : {}), ...devicePlugins?.resources() });

  // Counts come from the PLEG's last relist; it starts further down.
  let pleg: Pleg | undefined;
  const metrics = new KubeletMetrics({
    runningPods: () => pleg?.runningPods() ?? 0,
    containersByState: () => pleg?.containersByState() ?? new Map(),
  });

  // The kubelet API first: the node status advertises its port. It needs the API to vouch for callers.
  let desiredPods: () => V1Pod[] = () => [];
  let kubeletPort: number | undefined;
  if (api && config.serverAddress) {
    const cert =
      config.tlsCertFile && config.tlsPrivateKeyFile
        ? { certFile: config.tlsCertFile, keyFile: config.tlsPrivateKeyFile }
        : await selfSignedServingCert(join(config.rootDir, 'pki'), config.nodeName, config.nodeIp);
    const server = await startKubeletServer({
      listen: config.serverAddress,
      nodeName: config.nodeName,
      cert,
      clientCaFile: config.clientCaFile,
      podLogsDir: config.podLogsDir,
      cri,
      reviews: api,
      pods: () => desiredPods(),
      metrics: metrics.registry,
      probeMetrics: metrics.probeRegistry,
      gpus: gpuSource,
      storage: storageDirs,
      logger,
    });
    kubeletPort = Number(server.address.slice(server.address.lastIndexOf(':') + 1));
    stops.push(() => server.close());
    if (config.serverTlsBootstrap && !config.tlsCertFile && config.kubeconfigPath) {
      const rotation = startServingCertificate({
        api: KubeApi.fromFile(config.kubeconfigPath),
        caPem: await kubeconfigCaPem(config.kubeconfigPath),
        pkiDir: join(config.rootDir, 'pki'),
        nodeName: config.nodeName,
        altNames: { dnsNames: [config.nodeName], ips: [config.nodeIp] },
        logger,
        use: (pem) => server.useCertificate(pem),
      });
      stops.push(() => rotation.stop());
    }
  }

  // Admission reads the Node's taints as last read from the API (what it was registered with until then).
  let nodeTaints = (): V1Taint[] => config.registerWithTaints;
  if (api) {
    const reporter = new NodeStatusReporter({
      api,
      cri,
      config: { ...config, kubeletPort },
      logger,
      readMachine: () => readMachineFacts({ procDir: options.roots?.procDir ?? '/proc', etcDir: options.roots?.etcDir ?? '/etc', dataDir: config.rootDir }),
      extendedResources,
    });
    const node = await retry('node registration', 30, 2_000, logger, () => reporter.register());
    nodeUid = node.metadata?.uid;
    reporter.start();
    stops.push(() => reporter.stop());
    nodeTaints = () => reporter.taints();
    if (nodeUid) {
      const lease = new LeaseRenewer({
        api,
        nodeName: config.nodeName,
        nodeUid,
        durationSeconds: config.timings.leaseDurationSeconds,
        renewMs: config.timings.leaseRenewMs,
        logger,
      });
      lease.start();
      stops.push(() => lease.stop());
    }
  }

  const statusManager = new StatusManager({ api, logger });
  const podInputs = api ? new PodInputs(api) : undefined;
  const mirrorPods = api ? new MirrorPods({ api, nodeName: config.nodeName, nodeUid: () => nodeUid, logger }) : undefined;
  let staticPods: V1Pod[] = [];
  // Unknown until the API source has listed: before that, every mirror pod would look missing.
  let apiMirrors: V1Pod[] | undefined;
  const syncMirrors = (): void => {
    if (apiMirrors) void mirrorPods?.sync(staticPods, apiMirrors);
  };

  // What admission and the pods' cgroup are sized from (hugepages are not set aside here).
  const machineSize = { cpuCount: cpus().length, memoryBytes: totalmem(), hugepagesBytes: 0 };
  const sources: PodSourceName[] = [...(api ? (['api'] as const) : []), ...(config.podManifestPath ? (['file'] as const) : [])];
  // The PLEG fills it at each relist; the pod workers sync from it.
  const podStatusCache = new PodStatusCache(cri, terminationMessageReader({ podsDir: join(config.rootDir, 'pods'), podLogsDir: config.podLogsDir }));
  const syncLoop = new SyncLoop({
    logger,
    sources,
    // What node-status.ts advertises as allocatable, which the scheduler placed pods against.
    allocatable: {
      ...allocatableAmounts(config, machineSize),
      pods: config.maxPods,
      labels: nodeLabels(config, { architecture: goArch[arch()] ?? arch() }),
      get taints() {
        return nodeTaints();
      },
      get extended() {
        return extendedResources();
      },
    },
    workerDeps: {
      cri,
      cache: podStatusCache,
      config: { ...config, volumeRefreshMs: config.timings.volumeRefreshMs },
      envSources: podInputs,
      metrics,
      runtimeName: version.runtimeName,
      backoff: new RestartBackoff(),
      devices,
      devicePlugins,
      status: statusManager,
      dirs: nodePodDirs(config.rootDir, podInputs),
      podCgroups: systemd ? systemdPodCgroups(systemd, logger) : cgroupfsPodCleaner(logger),
      logger,
    },
    qosCgroups: new QosCgroups({
      kubepods: config.cgroupParent,
      allocatable: config.enforcePodsAllocatable ? podsCgroupAmounts(config, machineSize) : undefined,
      writer: systemd ? systemdTierWriter(systemd) : cgroupfsTierWriter(),
      logger,
    }),
    onMirrorPods: (mirrors) => {
      apiMirrors = mirrors;
      syncMirrors();
    },
  });

  desiredPods = () => [...syncLoop.desiredPods().values()];

  pleg = new Pleg({
    cri,
    cache: podStatusCache,
    relistMs: config.timings.relistMs,
    observeRelist: (seconds) => metrics.plegRelist.observe(seconds),
    logger,
    onPodsChanged: (uids) => syncLoop.podsChanged(uids),
  });
  pleg.start();
  stops.push(() => pleg.stop());
  const plegNow = pleg;
  stops.push(followContainerEvents({ cri, onEvent: () => plegNow.poke(), logger, retryMs: 5_000 }));

  if (config.podManifestPath) {
    const source = new StaticPodSource({
      dir: config.podManifestPath,
      nodeName: config.nodeName,
      checkMs: config.timings.staticPodCheckMs,
      logger,
      onChange: (pods) => {
        staticPods = pods;
        syncLoop.setSourcePods('file', pods);
        syncMirrors();
      },
    });
    source.start();
    stops.push(() => source.stop());
  }
  if (api) {
    const source = new ApiPodSource({ api, nodeName: config.nodeName, logger, onChange: (pods) => syncLoop.setSourcePods('api', pods) });
    source.start();
    stops.push(() => source.stop());
  }

  const housekeeping = setInterval(() => {
    syncLoop.housekeeping(pleg.podsInRuntime());
    statusManager.resync();
    syncMirrors();
  }, config.timings.podResyncMs);
  stops.push(() => clearInterval(housekeeping));

  let readOnlyAddress: string | undefined;
  if (config.readOnlyAddress) {
    const server = await startReadOnlyServer({
      listen: config.readOnlyAddress,
      nodeName: config.nodeName,
      cri,
      metrics: metrics.registry,
      probeMetrics: metrics.probeRegistry,
      gpus: gpuSource,
      storage: storageDirs,
      logger,
    });
    readOnlyAddress = server.address;
    stops.push(() => server.close());
  }

  if (config.healthzAddress) {
    const healthz = await startHealthzServer(config.healthzAddress);
    logger.info({ address: healthz.address }, 'healthz serving (HTTP)');
    stops.push(() => healthz.close());
  }

  logger.info({ standalone: !api, manifests: config.podManifestPath }, 'kubelet started');
  return {
    syncLoop,
    nodeUid,
    readOnlyAddress,
    extendedResources,
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
      await syncLoop.stop();
      await statusManager.idle();
      if (!options.cri) cri.close?.();
      logger.info('kubelet stopped; pods keep running');
    },
  };
}
