// The stats pages both kubelet ports serve, each computed from one CRI pass at request time, and
// the kubelet's own /metrics.
import { cpus, totalmem, uptime } from 'node:os';
import type { Registry } from 'prom-client';
import { renderCadvisor, renderResource } from './exposition.js';
import { readNodeUsage } from './node-usage.js';
import { collectPodStats, type StatsCri } from './pod-stats.js';
import { buildSummary } from './summary.js';

export interface Page {
  type: string;
  body: string;
}

const prometheusType = 'text/plain; version=0.0.4; charset=utf-8';

/** `metrics`: the kubelet's own registry, served as /metrics. */
export function statsPages(cri: StatsCri, nodeName: string, metrics?: Registry, probeMetrics?: Registry): Record<string, () => Promise<Page>> {
  const bootTimeMs = Date.now() - uptime() * 1000;
  return {
    ...(metrics ? { '/metrics': async () => ({ type: metrics.contentType, body: await metrics.metrics() }) } : {}),
    ...(probeMetrics ? { '/metrics/probes': async () => ({ type: probeMetrics.contentType, body: await probeMetrics.metrics() }) } : {}),
    '/metrics/cadvisor': async () => ({ type: prometheusType, body: await renderCadvisor(await collectPodStats(cri), { cpuCores: cpus().length, memoryBytes: totalmem() }) }),
    '/metrics/resource': async () => {
      const [pods, node] = await Promise.all([collectPodStats(cri).catch(() => undefined), readNodeUsage().catch(() => undefined)]);
      return { type: prometheusType, body: renderResource(pods ?? [], node, pods === undefined) };
    },
    '/stats/summary': async () => {
      const [pods, node] = await Promise.all([collectPodStats(cri), readNodeUsage()]);
      return { type: 'application/json', body: JSON.stringify(buildSummary(nodeName, bootTimeMs, node, pods)) };
    },
  };
}
