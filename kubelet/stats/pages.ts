// The stats pages both kubelet ports serve, each computed from one CRI pass at request time, and
// the kubelet's own /metrics.
import { cpus, totalmem, uptime } from 'node:os';
import type { Registry } from 'prom-client';
import { renderCadvisor, renderResource } from './exposition.js';
import { readNodeUsage } from './node-usage.js';
import { collectPodStats, type PodSample, type StatsCri } from './pod-stats.js';
import { buildSummary } from './summary.js';
import { collectStorage, DirectoryUsageCache, type StorageDirs } from './storage.js';
import { CriMetrics, type MetricsCri } from './cri-metrics.js';
import { renderFamilies, type Family } from './text-format.js';
import { gpuMetricFamilies, type GpuHolder } from '../devices/gpu-metrics.js';
import type { GpuQuery } from '../devices/nvidia-smi.js';

export interface Page {
  type: string;
  body: string;
}

const prometheusType = 'text/plain; version=0.0.4; charset=utf-8';

/** `metrics`: the kubelet's own registry, served as /metrics. */
export type PagesCri = StatsCri & MetricsCri;

/** The family names a rendered page already holds (its TYPE lines). */
function familyNames(page: string): Set<string> {
  return new Set([...page.matchAll(/^# TYPE (\S+)/gm)].map((match) => match[1] ?? ''));
}

/** The node's GPUs for the GPU metrics: what nvidia-smi reports, and who holds each GPU. */
export interface GpuSource {
  query: GpuQuery;
  holders(): ReadonlyMap<number, { podUid: string; container: string }>;
}

export interface StatsPageOptions {
  nodeName: string;
  /** The kubelet's own registry, served as /metrics. */
  metrics?: Registry | undefined;
  probeMetrics?: Registry | undefined;
  gpus?: GpuSource | undefined;
  /** Where pods' volumes and logs are, for the storage figures of /stats/summary. */
  storage?: StorageDirs | undefined;
}

async function gpuFamilies(gpus: GpuSource | undefined, pods: readonly PodSample[], nodeName: string): Promise<Family[]> {
  if (!gpus) return [];
  const samples = await gpus.query.samples();
  if (samples.length === 0) return [];
  const byUid = new Map(pods.map((pod) => [pod.uid, pod]));
  const holders = new Map<number, GpuHolder>();
  for (const [index, holder] of gpus.holders()) {
    const pod = byUid.get(holder.podUid);
    if (pod) holders.set(index, { pod: pod.name, namespace: pod.namespace, container: holder.container });
  }
  return gpuMetricFamilies(samples, holders, nodeName);
}

export function statsPages(cri: PagesCri, options: StatsPageOptions): Record<string, () => Promise<Page>> {
  const { nodeName, metrics, probeMetrics } = options;
  const bootTimeMs = Date.now() - uptime() * 1000;
  const runtimeMetrics = new CriMetrics(cri);
  const directoryUsage = new DirectoryUsageCache();
  return {
    ...(metrics ? { '/metrics': async () => ({ type: metrics.contentType, body: await metrics.metrics() }) } : {}),
    ...(probeMetrics ? { '/metrics/probes': async () => ({ type: probeMetrics.contentType, body: await probeMetrics.metrics() }) } : {}),
    // The stats-derived series, then the runtime's own (throttling, cache, OOM events, limits).
    '/metrics/cadvisor': async () => {
      const [pods, families] = await Promise.all([collectPodStats(cri), runtimeMetrics.families().catch(() => [])]);
      const page = await renderCadvisor(pods, { cpuCores: cpus().length, memoryBytes: totalmem() });
      const taken = familyNames(page);
      const gpu = await gpuFamilies(options.gpus, pods, nodeName).catch(() => []);
      const extra = [...families, ...gpu].filter((family) => !taken.has(family.name));
      return { type: prometheusType, body: extra.length > 0 ? `${page}${renderFamilies(extra)}` : page };
    },
    '/metrics/resource': async () => {
      const [pods, node] = await Promise.all([collectPodStats(cri).catch(() => undefined), readNodeUsage().catch(() => undefined)]);
      return { type: prometheusType, body: renderResource(pods ?? [], node, pods === undefined) };
    },
    '/stats/summary': async () => {
      const [pods, node] = await Promise.all([collectPodStats(cri), readNodeUsage()]);
      const storage = options.storage ? await collectStorage(options.storage, directoryUsage, pods).catch(() => undefined) : undefined;
      return { type: 'application/json', body: JSON.stringify(buildSummary(nodeName, bootTimeMs, node, pods, storage)) };
    },
  };
}
