import { describe, expect, it } from 'vitest';
import type { ContainerConfig__Output, PodSandboxConfig__Output } from '../../../api/cri/messages.js';
import { metricDescriptors, metricLabelKeys, toPodSandboxMetrics, type LiveMetric } from '../../../cri/runtime/pod-sandbox-metrics.js';
import type { ContainerRecord } from '../../../runtime/containers/container-record.js';
import type { ContainerUsage } from '../../../runtime/containers/container-usage.js';
import type { PodUsage } from '../../../runtime/runtime.js';
import type { SandboxRecord } from '../../../runtime/sandbox/sandbox-record.js';

const MiB = 1 << 20;
const none = { cpuPeriod: '0', cpuQuota: '0', cpuShares: '0', memoryLimitInBytes: '0', oomScoreAdj: '0', cpusetCpus: '', cpusetMems: '', hugepageLimits: [], unified: {}, memorySwapLimitInBytes: '0' };

function sandbox(): SandboxRecord {
  const config = {
    metadata: { name: 'web', namespace: 'shop', uid: 'u1', attempt: 0 },
    linux: { cgroupParent: '/kubepods/burstable/podu1', resources: { ...none, cpuShares: '512', memoryLimitInBytes: String(64 * MiB) }, overhead: { ...none, memoryLimitInBytes: String(8 * MiB) } },
  } as unknown as PodSandboxConfig__Output;
  const linux = config.linux;
  return { id: 'sb1', config, ownsCgroup: true, cgroupPath: 'kubepods/burstable/podu1', resources: { resources: linux?.resources ?? null, overhead: linux?.overhead ?? null } } as SandboxRecord;
}

function container(id: string, resources: Partial<typeof none> | undefined): ContainerRecord {
  const config = { metadata: { name: `c-${id}`, attempt: 0 }, linux: resources ? { resources: { ...none, ...resources } } : null } as unknown as ContainerConfig__Output;
  return { id, config, image: { requested: 'busybox', id: 'sha256:x', ref: 'sha256:x' }, resources: config.linux?.resources ?? null } as ContainerRecord;
}

const usage: ContainerUsage = {
  timestampNanos: 1n,
  cgroup: {
    cpu: { usageNanos: 5e9, periods: 40, throttledPeriods: 30, throttledNanos: 1e9 },
    memory: { usageBytes: 10 * MiB, workingSetBytes: 8 * MiB, rssBytes: 6 * MiB, cacheBytes: 4 * MiB, pageFaults: 1, majorPageFaults: 0 },
    pids: { current: 3 },
  },
  oom: { oomKills: 2, limitHits: 7 },
  usageNanoCores: undefined,
  writableLayer: undefined,
};

function metricValue(metrics: readonly LiveMetric[], name: string): string | undefined {
  return metrics.find((m) => m.name === name)?.value.value;
}

describe('CRI pod sandbox metrics', () => {
  const pod: PodUsage = {
    sandbox: sandbox(),
    containers: [
      { record: container('c1', { cpuQuota: '20000', cpuPeriod: '100000', memoryLimitInBytes: String(16 * MiB) }), usage },
      { record: container('c2', undefined), usage: { ...usage, cgroup: undefined, oom: undefined } },
    ],
    network: undefined,
    podCgroup: { stats: usage.cgroup, oom: { oomKills: 0, limitHits: 1 } },
  };
  const metrics = toPodSandboxMetrics(pod);

  it("declares every metric it sends, all with cAdvisor's container labels", () => {
    const declared = new Set(metricDescriptors().map((d) => d.name));
    const sent = [...metrics.metrics, ...metrics.containerMetrics.flatMap((c) => c.metrics)];
    expect(sent.length).toBeGreaterThan(0);
    for (const metric of sent) {
      expect(declared.has(metric.name ?? '')).toBe(true);
      expect(metric.labelValues).toHaveLength(metricLabelKeys.length);
    }
  });

  it('reports throttling, cache, OOM events, threads and the limits in force per container', () => {
    const c1 = metrics.containerMetrics[0]?.metrics ?? [];
    expect(metricValue(c1, 'container_cpu_cfs_throttled_periods_total')).toBe('30');
    expect(metricValue(c1, 'container_cpu_cfs_periods_total')).toBe('40');
    expect(metricValue(c1, 'container_memory_cache')).toBe(String(4 * MiB));
    expect(metricValue(c1, 'container_oom_events_total')).toBe('2');
    expect(metricValue(c1, 'container_memory_failcnt')).toBe('7');
    expect(metricValue(c1, 'container_threads')).toBe('3');
    expect(metricValue(c1, 'container_spec_memory_limit_bytes')).toBe(String(16 * MiB));
    expect(metricValue(c1, 'container_spec_cpu_quota')).toBe('20000');
    expect(c1[0]?.labelValues).toEqual(['c-c1', '/podu1/c1', 'busybox', 'c1', 'shop', 'web']);
    expect(c1.find((m) => m.name === 'container_oom_events_total')?.metricType).toBe('COUNTER');
  });

  it('says 0 for no memory limit and leaves out what it could not read', () => {
    const c2 = metrics.containerMetrics[1]?.metrics ?? [];
    expect(metricValue(c2, 'container_spec_memory_limit_bytes')).toBe('0');
    expect(metricValue(c2, 'container_cpu_cfs_periods_total')).toBeUndefined();
    expect(metricValue(c2, 'container_spec_cpu_quota')).toBeUndefined();
  });

  it('reports the pod\'s own cgroup with container="" and its limit as resources plus overhead', () => {
    expect(metricValue(metrics.metrics, 'container_spec_memory_limit_bytes')).toBe(String(72 * MiB));
    expect(metricValue(metrics.metrics, 'container_memory_failcnt')).toBe('1');
    expect(metrics.metrics[0]?.labelValues).toEqual(['', '/podu1', '', '', 'shop', 'web']);
  });

  it('has no pod-level series for a pod in a shared parent', () => {
    expect(toPodSandboxMetrics({ ...pod, podCgroup: undefined }).metrics).toEqual([]);
  });
});
