// Builds the real adapters behind the managers' ports from the configuration. Tests pass their
// own ports to Runtime.open instead.
import { access, readFile } from 'node:fs/promises';
import { FailedPreconditionError, NotFoundError } from '../common/errors.js';
import { BusctlSystemd, systemdIsInit } from '../common/systemd/systemd-units.js';
import type { Logger } from '../common/logger.js';
import type { RuntimeConfig } from './config.js';
import type { ContainerPorts } from './containers/container-ports.js';
import { join } from 'node:path';
import { CniNetwork } from '../cni/network.js';
import { ensureDefaultNetworkConfig } from '../cni/default-config.js';
import { ProcessPluginExecutor } from '../cni/plugin-exec.js';
import { IptablesIpMasqLeftovers } from '../cni/ipmasq-leftovers.js';
import { ociSpecPort, type CgroupPathFor } from './containers/spec-port.js';
import { SnapshotLayerUnpacker } from './images/layer-unpacker.js';
import { removeInterruptedUnpacks } from './images/half-pulled.js';
import { detectCgroupMode, type CgroupMode } from './oci/cgroup-mode.js';
import { Conmon } from './oci/conmon.js';
import { ContainerMonitor } from './oci/container-monitor.js';
import { OciRuntime } from './oci/oci-runtime.js';
import { findExecutable, findOciRuntimes, selectOciRuntime } from './oci/runtime-selection.js';
import { RuntimeHealth, binaryAnswers, dirWritable } from './oci/runtime-health.js';
import { openCgroups } from './cgroups/detect.js';
import { hugetlbUnusableReason } from './cgroups/hugetlb-support.js';
import { ContainerDevices } from './gpu/container-devices.js';
import { capabilitiesFromMask } from './oci/spec/capabilities.js';
import type { HostFacts } from './oci/spec/spec-input.js';
import { LinuxMounter } from '../common/linux/mounts.js';
import { OverlaySnapshotter } from './snapshots/snapshotter.js';
import { LinuxNamespacePinner } from './linux/namespaces.js';
import { UnsharePidNamespaces } from './linux/pid-namespace.js';
import { cniNetworkPort } from './sandbox/cni-network-port.js';
import { NetworkStore } from './networks/network-store.js';
import { SandboxFileWriter } from './sandbox/files-writer.js';
import { leftoverMounts } from './sandbox/sandbox-recovery.js';
import type { LayerUnpacker } from './images/images.js';
import type { Condition } from './runtime.js';
import type { SandboxPorts } from './sandbox/sandbox-ports.js';
import { clearSharedParentLimits, containerCgroupPlacement, containerCgroupPort, sandboxCgroupPort } from './sandbox/pod-cgroups.js';
import { systemdContainerCgroupPort, systemdContainerPlacement, systemdSandboxCgroupPort } from './sandbox/systemd-pod-cgroups.js';
import type { ContainerCgroupPort } from './containers/container-ports.js';
import type { CgroupHost } from './cgroups/detect.js';
import type { SandboxCgroupPort } from './sandbox/sandbox-ports.js';

export interface RuntimePorts {
  /** Releases what the adapters hold for the whole process (not per pod); pods keep running. */
  close(): Promise<void>;
  sandbox: SandboxPorts;
  /** The image port is filled in by the runtime from its image store. */
  container: Omit<ContainerPorts, 'images'>;
  unpacker: LayerUnpacker;
  networkStatus(): Promise<Condition>;
  /** docker's user networks; absent in tests that wire their own ports (the runtime opens its own). */
  networks?: NetworkStore;
  /** Whether the OCI runtime and conmon answer and the state and root dirs take writes (cached briefly). */
  runtimeStatus(): Promise<Condition>;
  /** The OCI runtime selected at start (runc or crun); absent in tests that wire their own ports. */
  ociRuntimeName?: string;
}

/** How long `runc --version` or `conmon --version` may take before RuntimeReady turns false. */
const healthTimeoutMs = 2_000;

async function hostFacts(cgroupMode: CgroupMode, hugetlbUnusable: string | undefined): Promise<HostFacts> {
  const ownOomScoreAdj = Number.parseInt(await readFile('/proc/self/oom_score_adj', 'utf8'), 10);
  const swapLimitSupported =
    cgroupMode === 'v2' ||
    (await access('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes').then(
      () => true,
      () => false,
    ));
  const boundingMask = /^CapBnd:\s*([0-9a-f]+)$/m.exec(await readFile('/proc/self/status', 'utf8'))?.[1];
  return {
    cgroupV2: cgroupMode === 'v2',
    swapLimitSupported,
    hugetlbUnusable,
    daemonOomScoreAdj: Number.isFinite(ownOomScoreAdj) ? ownOomScoreAdj : 0,
    architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
    boundingCapabilities: boundingMask ? capabilitiesFromMask(boundingMask) : undefined,
  };
}

/** The pod and container cgroup ports of the configured driver. */
function podCgroupPorts(host: CgroupHost, systemdDriver: boolean): { sandbox: SandboxCgroupPort; container: ContainerCgroupPort; ociPath: CgroupPathFor } {
  const { cgroups, anchors } = host;
  if (systemdDriver) {
    const units = new BusctlSystemd();
    const placement = systemdContainerPlacement();
    return { sandbox: systemdSandboxCgroupPort(cgroups, anchors, units), container: systemdContainerCgroupPort(cgroups, placement, anchors, units), ociPath: placement.ociPath };
  }
  const placement = containerCgroupPlacement(anchors);
  return { sandbox: sandboxCgroupPort(cgroups, anchors), container: containerCgroupPort(cgroups, placement, anchors), ociPath: placement.ociPath };
}

export async function createPorts(config: RuntimeConfig, logger: Logger): Promise<RuntimePorts> {
  const mounter = new LinuxMounter();
  const snapshots = await OverlaySnapshotter.open(join(config.rootDir, 'snapshots'), { logger });
  await removeInterruptedUnpacks(snapshots, logger);
  const cgroupMode = await detectCgroupMode();
  const systemdDriver = config.cgroupDriver === 'systemd';
  if (systemdDriver && !(await systemdIsInit())) {
    throw new FailedPreconditionError('--cgroup-driver systemd needs systemd as the init (PID 1), and /run/systemd/system is missing here: run berth with --cgroup-driver cgroupfs');
  }
  const cgroupHost = await openCgroups({ logger, rootAnchors: systemdDriver });
  if (!systemdDriver) await clearSharedParentLimits(cgroupHost.cgroups, logger);
  const cgroupPorts = podCgroupPorts(cgroupHost, systemdDriver);
  logger.info({ cgroupDriver: config.cgroupDriver ?? 'cgroupfs' }, 'cgroup driver');
  const hugetlbUnusable = hugetlbUnusableReason(cgroupHost.anchors);
  if (hugetlbUnusable) logger.info({ reason: hugetlbUnusable }, 'hugepage limits will be left out of every pod and container cgroup: the OCI runtime cannot apply them on this host');
  const searchPath = process.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const selected = selectOciRuntime(config.ociRuntime, { cgroupMode, found: await findOciRuntimes(searchPath) });
  logger.info({ runtime: selected.name, path: selected.path, reason: selected.reason }, 'OCI runtime selected');
  const conmonPath = await findExecutable('conmon', searchPath);
  const catatonitPath = await findExecutable('catatonit', searchPath);
  if (!catatonitPath) logger.warn('catatonit is not installed: pods sharing a pid namespace will keep their orphans as zombies (install the catatonit package)');
  if (!conmonPath) throw new NotFoundError('conmon is not installed (not on PATH); berth runs every container under it');
  const ociRuntime = new OciRuntime({ name: selected.name, path: selected.path, root: join(config.stateDir, 'oci', selected.name), systemdCgroup: systemdDriver });
  const exitDir = join(config.stateDir, 'exits');
  const socketDir = join(config.stateDir, 'sockets');
  const conmon = new Conmon({ conmonPath, runtime: ociRuntime, stateDir: join(config.stateDir, 'monitor'), exitDir, socketDir, logger });
  const monitor = new ContainerMonitor({ runtime: ociRuntime, conmon, exitDir, socketDir, execDir: join(config.stateDir, 'exec'), conmonPath, searchPath, logger });
  const health = new RuntimeHealth({
    checks: [
      binaryAnswers(`OCI runtime ${selected.name}`, selected.path, 'OCIRuntimeNotAnswering', healthTimeoutMs),
      binaryAnswers('conmon', conmonPath, 'ConmonNotAnswering', healthTimeoutMs),
      dirWritable('state dir', config.stateDir, 'StateDirNotWritable'),
      dirWritable('root dir', config.rootDir, 'RootDirNotWritable'),
    ],
    logger,
  });
  const written = await ensureDefaultNetworkConfig(config.cniConfDir, { ipamDataDir: join(config.stateDir, 'cni/ipam') });
  if (written) logger.info({ file: written }, "no CNI configuration found; wrote berth's default network");
  const network = new CniNetwork({
    confDir: config.cniConfDir,
    cacheDir: join(config.stateDir, 'cni/results'),
    executor: new ProcessPluginExecutor({ binDirs: config.cniBinDirs }),
    logger,
    ipMasqLeftovers: new IptablesIpMasqLeftovers(),
  });
  const networks = await NetworkStore.open(config.rootDir, config.stateDir, logger);
  // The sandbox manager keeps its per-sandbox dirs here; pins must live inside them.
  const pinner = new LinuxNamespacePinner({ root: join(config.stateDir, 'sandboxes'), mounter });
  return {
    networks,
    close: async () => {
      // With pods still pinned the private root mount must stay: they outlive berth.
      await pinner.releaseRoot().catch(() => undefined);
    },
    sandbox: {
      cgroups: cgroupPorts.sandbox,
      namespaces: pinner,
      pidNamespaces: new UnsharePidNamespaces(catatonitPath),
      network: cniNetworkPort(network, (name) => networks.cniNetwork(name)),
      files: new SandboxFileWriter({ mounter }),
      mounts: leftoverMounts(mounter),
    },
    container: {
      snapshots: {
        prepare: (key, parent) => snapshots.prepare(key, parent || undefined),
        remove: async (key) => {
          await snapshots.remove(key).catch((error: unknown) => {
            if ((error as { code?: string }).code !== 'NOT_FOUND') throw error;
          });
        },
        layers: async (key) => snapshots.layers(key),
        usage: async (key) => {
          const usage = await snapshots.usage(key);
          return { usedBytes: usage.bytes, inodesUsed: usage.inodes, mountpoint: snapshots.root };
        },
      },
      spec: ociSpecPort(await hostFacts(cgroupMode, hugetlbUnusable), cgroupPorts.ociPath, await ContainerDevices.open(config.devices, logger), {
        pidsLimit: config.pidsLimit,
      }),
      monitor,
      mounter,
      cgroups: cgroupPorts.container,
    },
    unpacker: new SnapshotLayerUnpacker(snapshots, logger, { maxLayerBytes: config.maxLayerBytes }),
    runtimeStatus: () => health.readiness(),
    ociRuntimeName: selected.name,
    networkStatus: async () => {
      const status = await network.status();
      return { ok: status.ready, reason: status.ready ? '' : (status.reason ?? 'NetworkPluginNotReady'), message: status.ready ? '' : (status.message ?? '') };
    },
  };
}
