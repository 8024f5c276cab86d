// CRI PodSandboxStats and ListPodSandboxStats: the pod's containers (as ContainerStats) and their
// sums, and the network counters of the pod's namespace (eth0 as the default interface).
import type { ListPodSandboxStatsRequest__Output, ListPodSandboxStatsResponse, PodSandboxStats, PodSandboxStatsRequest__Output, PodSandboxStatsResponse } from '../../api/cri/messages.js';
import type { InterfaceCounters } from '../../runtime/linux/net-dev.js';
import type { PodUsage, Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { checkId } from '../validation/fields.js';
import { toContainerStats } from './container-stats.js';
import { matchesLabels } from './to-cri.js';

const value = (n: number): { value: string } => ({ value: String(n) });

function toInterface(counters: InterfaceCounters): NonNullable<NonNullable<NonNullable<PodSandboxStats['linux']>['network']>['defaultInterface']> {
  return { name: counters.name, rxBytes: value(counters.rxBytes), rxErrors: value(counters.rxErrors), txBytes: value(counters.txBytes), txErrors: value(counters.txErrors) };
}

export function toPodSandboxStats(pod: PodUsage): PodSandboxStats {
  const timestamp = String(BigInt(Date.now()) * 1_000_000n);
  const sum = (pick: (u: PodUsage['containers'][number]['usage']) => number | undefined): number => pod.containers.reduce((total, c) => total + (pick(c.usage) ?? 0), 0);
  const network = pod.network;
  return {
    attributes: { id: pod.sandbox.id, metadata: pod.sandbox.config.metadata, labels: pod.sandbox.labels, annotations: pod.sandbox.config.annotations },
    linux: {
      cpu: { timestamp, usageCoreNanoSeconds: value(sum((u) => u.cgroup?.cpu?.usageNanos)), usageNanoCores: value(sum((u) => u.usageNanoCores)) },
      memory: {
        timestamp,
        workingSetBytes: value(sum((u) => u.cgroup?.memory?.workingSetBytes)),
        usageBytes: value(sum((u) => u.cgroup?.memory?.usageBytes)),
        rssBytes: value(sum((u) => u.cgroup?.memory?.rssBytes)),
        pageFaults: value(sum((u) => u.cgroup?.memory?.pageFaults)),
        majorPageFaults: value(sum((u) => u.cgroup?.memory?.majorPageFaults)),
      },
      network: network
        ? {
            timestamp,
            defaultInterface: toInterface(network.find((i) => i.name === 'eth0') ?? network[0] ?? { name: '', rxBytes: 0, rxErrors: 0, txBytes: 0, txErrors: 0 }),
            interfaces: network.map(toInterface),
          }
        : null,
      process: { timestamp, processCount: value(sum((u) => u.cgroup?.pids?.current)) },
      containers: pod.containers.map((c) => toContainerStats(c.record, c.usage)),
    },
  };
}

export function podSandboxStats(runtime: Runtime): UnaryHandler<PodSandboxStatsRequest__Output, PodSandboxStatsResponse> {
  return async (request) => {
    checkId('pod_sandbox_id', request.podSandboxId);
    return { stats: toPodSandboxStats(await runtime.podUsage(request.podSandboxId)) };
  };
}

export function listPodSandboxStats(runtime: Runtime): UnaryHandler<ListPodSandboxStatsRequest__Output, ListPodSandboxStatsResponse> {
  return async (request) => {
    const filter = request.filter;
    const sandboxes = runtime.sandboxes
      .list()
      .filter((s) => s.state === 'ready')
      .filter((s) => !filter?.id || s.id.startsWith(filter.id))
      .filter((s) => !filter?.labelSelector || matchesLabels(s.labels ?? {}, filter.labelSelector));
    const stats = await Promise.all(sandboxes.map(async (s) => runtime.podUsage(s.id).then(toPodSandboxStats, () => undefined)));
    return { stats: stats.filter((s): s is PodSandboxStats => s !== undefined) };
  };
}
