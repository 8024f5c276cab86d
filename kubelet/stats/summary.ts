// The kubelet's /stats/summary JSON (stats/v1alpha1 Summary) from one snapshot (pure). Fields the
// snapshot does not hold (node fs, volumes, ephemeral storage) are left out rather than invented.
import type { NodeUsage } from './node-usage.js';
import type { ContainerSample, PodSample } from './pod-stats.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const defined = <T extends Record<string, unknown>>(object: T): Partial<T> =>
  Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;

function cpu(timeMs: number, seconds: number | undefined, nanoCores: number | undefined): Record<string, unknown> {
  return defined({ time: iso(timeMs), usageNanoCores: nanoCores, usageCoreNanoSeconds: seconds === undefined ? undefined : Math.round(seconds * 1e9) });
}

function container(c: ContainerSample): Record<string, unknown> {
  return {
    name: c.name,
    startTime: iso(c.startTimeMs),
    cpu: cpu(c.timestampMs, c.cpuUsageSeconds, c.cpuUsageNanoCores),
    memory: defined({
      time: iso(c.timestampMs),
      usageBytes: c.memoryUsageBytes,
      workingSetBytes: c.memoryWorkingSetBytes,
      rssBytes: c.memoryRssBytes,
      pageFaults: c.pageFaults,
      majorPageFaults: c.majorPageFaults,
    }),
    ...(c.writableLayerBytes !== undefined ? { rootfs: { time: iso(c.timestampMs), usedBytes: c.writableLayerBytes } } : {}),
  };
}

function pod(p: PodSample): Record<string, unknown> {
  const [first, ...rest] = p.interfaces;
  const toInterface = (i: NonNullable<typeof first>) => ({ name: i.name, rxBytes: i.rxBytes, rxErrors: i.rxErrors, txBytes: i.txBytes, txErrors: i.txErrors });
  return {
    podRef: { name: p.name, namespace: p.namespace, uid: p.uid },
    startTime: iso(p.startTimeMs),
    containers: p.containers.map(container),
    cpu: cpu(p.timestampMs, p.cpuUsageSeconds, p.cpuUsageNanoCores),
    memory: defined({ time: iso(p.timestampMs), usageBytes: p.memoryUsageBytes, workingSetBytes: p.memoryWorkingSetBytes, rssBytes: p.memoryRssBytes }),
    ...(first ? { network: { time: iso(p.timestampMs), ...toInterface(first), interfaces: [first, ...rest].map(toInterface) } } : {}),
    ...(p.processCount !== undefined ? { process_stats: { process_count: p.processCount } } : {}),
  };
}

export function buildSummary(nodeName: string, bootTimeMs: number, node: NodeUsage, pods: readonly PodSample[]): Record<string, unknown> {
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
    },
    pods: pods.map(pod),
  };
}
