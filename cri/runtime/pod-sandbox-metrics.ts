// CRI ListMetricDescriptors and ListPodSandboxMetrics: cAdvisor-named series the stats RPCs do
// not carry (CFS periods and throttling, page cache, OOM events, limit hits, threads, the limits
// in force), per container and for the pod's own cgroup (container=""), read from the same
// cgroup files as the stats. CRI values are unsigned integers, so every series here counts
// something whole (periods, bytes, events, microseconds of quota); the CPU seconds stay with
// ContainerStats, which carries nanoseconds exactly.
import type {
  ListMetricDescriptorsRequest__Output,
  ListMetricDescriptorsResponse,
  ListPodSandboxMetricsRequest__Output,
  ListPodSandboxMetricsResponse,
  MetricDescriptor,
} from '../../api/cri/messages.js';
import type { Limits } from '../../runtime/cgroups/limits.js';
import { limitsFromCri, podLimitsFromCri } from '../../runtime/containers/cri-limits.js';
import type { CgroupStats, OomEvents } from '../../runtime/cgroups/stats.js';
import type { PodUsage, Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

/** cAdvisor's container labels, in the order every metric's label values follow. */
export const metricLabelKeys = ['container', 'id', 'image', 'name', 'namespace', 'pod'] as const;

/** What one cgroup (a container's, or the pod's own) shows: its counters and the limits set on it. */
export interface CgroupFigures {
  stats: CgroupStats | undefined;
  oom: OomEvents | undefined;
  limits: Limits;
}

interface MetricSpec {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE';
  value(figures: CgroupFigures): number | undefined;
}

const specs: readonly MetricSpec[] = [
  { name: 'container_cpu_cfs_periods_total', help: 'Number of elapsed enforcement period intervals.', type: 'COUNTER', value: (f) => f.stats?.cpu?.periods },
  {
    name: 'container_cpu_cfs_throttled_periods_total',
    help: 'Number of throttled period intervals.',
    type: 'COUNTER',
    value: (f) => f.stats?.cpu?.throttledPeriods,
  },
  { name: 'container_memory_cache', help: 'Number of bytes of page cache memory.', type: 'GAUGE', value: (f) => f.stats?.memory?.cacheBytes },
  { name: 'container_memory_failcnt', help: 'Number of memory usage hits limits', type: 'COUNTER', value: (f) => f.oom?.limitHits },
  { name: 'container_oom_events_total', help: 'Count of out of memory events observed for the container', type: 'COUNTER', value: (f) => f.oom?.oomKills },
  { name: 'container_threads', help: 'Number of threads running inside the container', type: 'GAUGE', value: (f) => f.stats?.pids?.current },
  // cAdvisor's convention: 0 when no limit is set.
  { name: 'container_spec_memory_limit_bytes', help: 'Memory limit for the container.', type: 'GAUGE', value: (f) => Math.max(0, f.limits.memoryBytes ?? 0) },
  { name: 'container_spec_cpu_shares', help: 'CPU share of the container.', type: 'GAUGE', value: (f) => f.limits.cpuShares },
  {
    name: 'container_spec_cpu_quota',
    help: 'CPU quota of the container.',
    type: 'GAUGE',
    value: (f) => (f.limits.cpuQuotaUs !== undefined && f.limits.cpuQuotaUs > 0 ? f.limits.cpuQuotaUs : undefined),
  },
  { name: 'container_spec_cpu_period', help: 'CPU period of the container.', type: 'GAUGE', value: (f) => f.limits.cpuPeriodUs },
];

/** A CRI Metric as berth fills it (every field set). */
export interface LiveMetric {
  name: string;
  timestamp: string;
  metricType: MetricSpec['type'];
  labelValues: string[];
  value: { value: string };
}

/** A CRI PodSandboxMetrics as berth fills it. */
export interface PodMetrics {
  podSandboxId: string;
  metrics: LiveMetric[];
  containerMetrics: { containerId: string; metrics: LiveMetric[] }[];
}

export function metricDescriptors(): MetricDescriptor[] {
  return specs.map(({ name, help }) => ({ name, help, labelKeys: [...metricLabelKeys] }));
}

function metricsOf(figures: CgroupFigures, labelValues: string[]): LiveMetric[] {
  const metrics: LiveMetric[] = [];
  for (const spec of specs) {
    const value = spec.value(figures);
    if (value === undefined || !Number.isFinite(value) || value < 0) continue;
    // Timestamp 0: gathered live (the CRI's convention).
    metrics.push({ name: spec.name, timestamp: '0', metricType: spec.type, labelValues, value: { value: String(Math.floor(value)) } });
  }
  return metrics;
}

/** A limit the client sent that no longer parses cannot be in force: report none rather than fail the scrape. */
function safely(read: () => Limits): Limits {
  try {
    return read();
  } catch {
    return {};
  }
}

/** Pure: one pod's metrics, labelled as cAdvisor labels them (id is the cgroup's place below kubepods). */
export function toPodSandboxMetrics(pod: PodUsage): PodMetrics {
  const meta = pod.sandbox.config.metadata;
  const podName = meta?.name ?? '';
  const namespace = meta?.namespace ?? '';
  const podId = `/pod${meta?.uid ?? ''}`;
  const podMetrics = pod.podCgroup
    ? metricsOf(
        {
          stats: pod.podCgroup.stats,
          oom: pod.podCgroup.oom,
          limits: safely(() => podLimitsFromCri(pod.sandbox.resources)),
        },
        ['', podId, '', '', namespace, podName],
      )
    : [];
  return {
    podSandboxId: pod.sandbox.id,
    metrics: podMetrics,
    containerMetrics: pod.containers.map(({ record, usage }) => {
      const resources = record.resources;
      const limits = resources ? safely(() => limitsFromCri(resources)) : {};
      const labels = [record.config.metadata?.name ?? '', `${podId}/${record.id}`, record.image.requested, record.id, namespace, podName];
      return { containerId: record.id, metrics: metricsOf({ stats: usage.cgroup, oom: usage.oom, limits }, labels) };
    }),
  };
}

export function listMetricDescriptors(): UnaryHandler<ListMetricDescriptorsRequest__Output, ListMetricDescriptorsResponse> {
  return async () => ({ descriptors: metricDescriptors() });
}

export function listPodSandboxMetrics(runtime: Runtime): UnaryHandler<ListPodSandboxMetricsRequest__Output, ListPodSandboxMetricsResponse> {
  return async () => {
    const ready = runtime.sandboxes.list().filter((s) => s.state === 'ready');
    const pods = await Promise.all(ready.map((s) => runtime.podUsage(s.id, { metrics: true }).then(toPodSandboxMetrics, () => undefined)));
    return { podMetrics: pods.filter((p): p is PodMetrics => p !== undefined) };
  };
}
