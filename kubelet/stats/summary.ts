// The kubelet's /stats/summary JSON (stats/v1alpha1 Summary) from one snapshot (pure). Fields the
// snapshot does not hold are left out rather than invented.
import type { NodeUsage } from './node-usage.js';
import type { ContainerSample, PodSample, PsiDataSample, PsiSample } from './pod-stats.js';
import type { DirectoryUsage, FilesystemStats, NodeStorage, PodStorage } from './storage.js';

const emptyDirPlugin = 'kubernetes.io~empty-dir';

/** A FsStats object: usage, with the capacity of the filesystem it is on when known. */
function fsStats(timeMs: number, usage: DirectoryUsage, fs: FilesystemStats | undefined): Record<string, unknown> {
  return defined({
    time: iso(timeMs),
    availableBytes: fs?.availableBytes,
    capacityBytes: fs?.capacityBytes,
    usedBytes: usage.usedBytes,
    inodesFree: fs?.inodesFree,
    inodes: fs?.inodes,
    inodesUsed: usage.inodesUsed,
  });
}

const iso = (ms: number): string => new Date(ms).toISOString();
const defined = <T extends Record<string, unknown>>(object: T): Partial<T> => Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;

function cpu(timeMs: number, seconds: number | undefined, nanoCores: number | undefined): Record<string, unknown> {
  return defined({ time: iso(timeMs), usageNanoCores: nanoCores, usageCoreNanoSeconds: seconds === undefined ? undefined : Math.round(seconds * 1e9) });
}

/** stats/v1alpha1 PSIStats: both lines always present (zeros where the kernel keeps no "full"). */
function psiStats(psi: PsiSample | undefined): Record<string, unknown> | undefined {
  if (!psi) return undefined;
  const data = (d: PsiDataSample | undefined): Record<string, number> => ({ total: d?.totalNanos ?? 0, avg10: d?.avg10 ?? 0, avg60: d?.avg60 ?? 0, avg300: d?.avg300 ?? 0 });
  return { full: data(psi.full), some: data(psi.some) };
}

function container(c: ContainerSample, logs: DirectoryUsage | undefined, nodeFs: FilesystemStats | undefined): Record<string, unknown> {
  return {
    name: c.name,
    startTime: iso(c.startTimeMs),
    cpu: defined({ ...cpu(c.timestampMs, c.cpuUsageSeconds, c.cpuUsageNanoCores), psi: psiStats(c.psi?.cpu) }),
    memory: defined({
      time: iso(c.timestampMs),
      usageBytes: c.memoryUsageBytes,
      workingSetBytes: c.memoryWorkingSetBytes,
      rssBytes: c.memoryRssBytes,
      pageFaults: c.pageFaults,
      majorPageFaults: c.majorPageFaults,
      psi: psiStats(c.psi?.memory),
    }),
    ...(c.psi?.io ? { io: { time: iso(c.timestampMs), psi: psiStats(c.psi.io) } } : {}),
    ...(c.writableLayerBytes !== undefined ? { rootfs: { time: iso(c.timestampMs), usedBytes: c.writableLayerBytes } } : {}),
    ...(logs ? { logs: fsStats(c.timestampMs, logs, nodeFs) } : {}),
  };
}

/**
 * What the pod holds on the node's disk, upstream's ephemeral-storage: its containers' writable
 * layers and logs, and its emptyDir volumes on disk (a Memory one is a tmpfs, not the disk).
 */
function ephemeralStorage(p: PodSample, storage: PodStorage, nodeFs: FilesystemStats | undefined): Record<string, unknown> {
  const onDisk = storage.volumes.filter((v) => v.plugin === emptyDirPlugin && (v.fs === undefined || nodeFs === undefined || v.fs.capacityBytes === nodeFs.capacityBytes));
  const usage = [...onDisk.map((v) => v.usage), ...storage.logs.values(), ...p.containers.map((c) => ({ usedBytes: c.writableLayerBytes ?? 0, inodesUsed: 0 }))].reduce(
    (sum, u) => ({ usedBytes: sum.usedBytes + u.usedBytes, inodesUsed: sum.inodesUsed + u.inodesUsed }),
    { usedBytes: 0, inodesUsed: 0 },
  );
  return fsStats(p.timestampMs, usage, nodeFs);
}

function pod(p: PodSample, storage: PodStorage | undefined, nodeFs: FilesystemStats | undefined): Record<string, unknown> {
  const [first, ...rest] = p.interfaces;
  const toInterface = (i: NonNullable<typeof first>) => ({ name: i.name, rxBytes: i.rxBytes, rxErrors: i.rxErrors, txBytes: i.txBytes, txErrors: i.txErrors });
  return {
    podRef: { name: p.name, namespace: p.namespace, uid: p.uid },
    startTime: iso(p.startTimeMs),
    containers: p.containers.map((c) => container(c, storage?.logs.get(c.name), nodeFs)),
    cpu: cpu(p.timestampMs, p.cpuUsageSeconds, p.cpuUsageNanoCores),
    memory: defined({ time: iso(p.timestampMs), usageBytes: p.memoryUsageBytes, workingSetBytes: p.memoryWorkingSetBytes, rssBytes: p.memoryRssBytes }),
    ...(first ? { network: { time: iso(p.timestampMs), ...toInterface(first), interfaces: [first, ...rest].map(toInterface) } } : {}),
    ...(p.processCount !== undefined ? { process_stats: { process_count: p.processCount } } : {}),
    ...(storage && storage.volumes.length > 0 ? { volume: storage.volumes.map((v) => ({ name: v.name, ...fsStats(p.timestampMs, v.usage, v.fs) })) } : {}),
    ...(storage ? { 'ephemeral-storage': ephemeralStorage(p, storage, nodeFs) } : {}),
  };
}

export function buildSummary(nodeName: string, bootTimeMs: number, node: NodeUsage, pods: readonly PodSample[], storage?: NodeStorage): Record<string, unknown> {
  const nodeFs = storage?.nodeFs;
  return {
    node: {
      nodeName,
      startTime: iso(bootTimeMs),
      cpu: cpu(node.timestampMs, node.cpuUsageSeconds, undefined),
      memory: {
        time: iso(node.timestampMs),
        availableBytes: node.memoryAvailableBytes,
        usageBytes: node.memoryTotalBytes - node.memoryAvailableBytes,
        workingSetBytes: node.memoryWorkingSetBytes,
      },
      ...(nodeFs ? { fs: fsStats(node.timestampMs, { usedBytes: nodeFs.usedBytes, inodesUsed: nodeFs.inodesUsed }, nodeFs) } : {}),
    },
    pods: pods.map((p) => pod(p, storage?.pods.get(p.uid), nodeFs)),
  };
}
