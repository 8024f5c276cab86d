// The stats pages both kubelet ports serve, each computed from one CRI pass at request time.
import { cpus, totalmem, uptime } from 'node:os';
import { renderCadvisor, renderResource } from './exposition.js';
import { readNodeUsage } from './node-usage.js';
import { collectPodStats, type StatsCri } from './pod-stats.js';
import { buildSummary } from './summary.js';

export interface Page {
  type: string;
  body: string;
}

const prometheusType = 'text/plain; version=0.0.4; charset=utf-8';

export function statsPages(cri: StatsCri, nodeName: string): Record<string, () => Promise<Page>> {
  const bootTimeMs = Date.now() - uptime() * 1000;
  return {
    '/metrics/cadvisor': async () => ({ type: prometheusType, body: await renderCadvisor(await collectPodStats(cri), { cpuCores: cpus().length, memoryBytes: totalmem() }) }),
    '/metrics/resource': async () => {
      const [pods, node] = await Promise.all([collectPodStats(cri).catch(() => undefined), readNodeUsage().catch(() => undefined)]);
      return { type: prometheusType, body: await renderResource(pods ?? [], node, pods === undefined) };
    },
    '/stats/summary': async () => {
      const [pods, node] = await Promise.all([collectPodStats(cri), readNodeUsage()]);
      return { type: 'application/json', body: JSON.stringify(buildSummary(nodeName, bootTimeMs, node, pods)) };
    },
  };
}
