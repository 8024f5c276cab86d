import { describe, expect, it } from 'vitest';
import { renderCadvisor, renderResource } from '../../../kubelet/stats/exposition.js';
import { renderFamilies } from '../../../kubelet/stats/text-format.js';
import { cpuSecondsFromStat, memInfo } from '../../../kubelet/stats/node-usage.js';
import type { PodSample } from '../../../kubelet/stats/pod-stats.js';
import { buildSummary } from '../../../kubelet/stats/summary.js';

const pod: PodSample = {
  name: 'web',
  namespace: 'shop',
  uid: 'u-1',
  sandboxId: 's-1',
  startTimeMs: 1_700_000_000_000,
  timestampMs: 1_700_000_100_000,
  cpuUsageSeconds: 12.5,
  cpuUsageNanoCores: 250_000_000,
  memoryWorkingSetBytes: 4096,
  memoryUsageBytes: 8192,
  memoryRssBytes: 2048,
  processCount: 3,
  interfaces: [{ name: 'eth0', rxBytes: 100, rxErrors: 0, txBytes: 200, txErrors: 1 }],
  containers: [
    {
      id: 'c-1',
      name: 'main',
      image: 'registry.test/web:1',
      startTimeMs: 1_700_000_001_000,
      timestampMs: 1_700_000_100_000,
      cpuUsageSeconds: 12,
      cpuUsageNanoCores: undefined,
      memoryWorkingSetBytes: 4000,
      memoryUsageBytes: 8000,
      memoryRssBytes: 2000,
      pageFaults: 10,
      majorPageFaults: 1,
      writableLayerBytes: 512,
    },
  ],
};

describe('node usage from /proc', () => {
  it('counts busy CPU seconds (not idle or iowait) in USER_HZ', () => {
    expect(cpuSecondsFromStat('cpu  100 20 30 5000 40 1 2 3 0 0\ncpu0 1 2 3 4\n')).toBe(1.56);
  });
  it('reads meminfo in bytes', () => {
    const info = memInfo('MemTotal:       16384 kB\nMemAvailable:    8192 kB\nHugePages_Total:       0\n');
    expect(info.get('MemTotal')).toBe(16384 * 1024);
    expect(info.get('MemAvailable')).toBe(8192 * 1024);
    expect(info.get('HugePages_Total')).toBe(0);
  });
});

describe('stats pages', () => {
  it('renders cAdvisor series with its labels, pod-level series with container=""', async () => {
    const text = await renderCadvisor([pod], { cpuCores: 4, memoryBytes: 2 ** 30 });
    expect(text).toContain('container_cpu_usage_seconds_total{container="main",pod="web",namespace="shop",image="registry.test/web:1",name="c-1",id="/podu-1/c-1",cpu="total"} 12');
    expect(text).toContain('container_cpu_usage_seconds_total{container="",pod="web",namespace="shop",image="",name="",id="/podu-1",cpu="total"} 12.5');
    expect(text).toContain('container_network_transmit_errors_total{container="",pod="web",namespace="shop",image="",name="",id="/podu-1",interface="eth0"} 1');
    expect(text).toContain('container_fs_usage_bytes{container="main",pod="web",namespace="shop",image="registry.test/web:1",name="c-1",id="/podu-1/c-1",device="rootfs"} 512');
    expect(text).toMatch(/^machine_cpu_cores 4$/m);
  });

  it('renders the kubelet resource metrics with its label order, and flags a failed scrape', async () => {
    const text = renderResource([pod], { timestampMs: 1_700_000_100_500, cpuUsageSeconds: 99, memoryWorkingSetBytes: 5, memoryAvailableBytes: 1, memoryTotalBytes: 6 }, false);
    // Samples carry the time the runtime read them (milliseconds), as the upstream kubelet's do.
    expect(text).toMatch(/^# TYPE container_cpu_usage_seconds_total counter$/m);
    expect(text).toMatch(/^container_cpu_usage_seconds_total\{container="main",pod="web",namespace="shop"\} 12 1700000100000$/m);
    expect(text).toMatch(/^container_start_time_seconds\{container="main",pod="web",namespace="shop"\} 1700000001 1700000001000$/m);
    expect(text).toMatch(/^pod_memory_working_set_bytes\{pod="web",namespace="shop"\} 4096 1700000100000$/m);
    expect(text).toMatch(/^node_cpu_usage_seconds_total 99 1700000100500$/m);
    expect(text).toMatch(/^resource_scrape_error 0$/m);
    expect(renderResource([], undefined, true)).toMatch(/^resource_scrape_error 1$/m);
  });

  it('escapes label values and help text in the text format', () => {
    const page = renderFamilies([
      {
        name: 'm',
        help: 'a\\b\nc',
        type: 'gauge',
        samples: [
          { labels: { pod: 'q"u\\o\nte' }, value: 1.5 },
          { value: NaN, timestampMs: 2 },
        ],
      },
    ]);
    expect(page).toBe('# HELP m a\\\\b\\nc\n# TYPE m gauge\nm{pod="q\\"u\\\\o\\nte"} 1.5\nm NaN 2\n');
  });

  it('builds the summary JSON with nanosecond CPU totals and the pod network', () => {
    const summary = buildSummary('node-a', 0, { timestampMs: 0, cpuUsageSeconds: 1, memoryWorkingSetBytes: 5, memoryAvailableBytes: 1, memoryTotalBytes: 6 }, [pod]) as {
      node: { nodeName: string; memory: { usageBytes: number } };
      pods: { podRef: unknown; containers: { cpu: { usageCoreNanoSeconds: number } }[]; network: { name: string; txErrors: number } }[];
    };
    expect(summary.node).toMatchObject({ nodeName: 'node-a', memory: { usageBytes: 5 } });
    expect(summary.pods[0]?.podRef).toEqual({ name: 'web', namespace: 'shop', uid: 'u-1' });
    expect(summary.pods[0]?.containers[0]?.cpu.usageCoreNanoSeconds).toBe(12e9);
    expect(summary.pods[0]?.network).toMatchObject({ name: 'eth0', txErrors: 1 });
  });

  it("carries the containers' PSI from the CRI into /stats/summary and cAdvisor's container_pressure_* series", async () => {
    const some = { totalNanos: 2_500_000_000, avg10: 1.5, avg60: 0.5, avg300: 0.1 };
    const full = { totalNanos: 500_000_000, avg10: 0, avg60: 0, avg300: 0 };
    const [main] = pod.containers;
    if (!main) throw new Error('the fixture pod has no container');
    const withPsi: PodSample = { ...pod, containers: [{ ...main, psi: { cpu: { some }, memory: { some, full }, io: { some, full } } }] };
    const text = await renderCadvisor([withPsi], { cpuCores: 4, memoryBytes: 2 ** 30 });
    const labels = 'container="main",pod="web",namespace="shop",image="registry.test/web:1",name="c-1",id="/podu-1/c-1"';
    expect(text).toContain(`container_pressure_cpu_waiting_seconds_total{${labels}} 2.5`);
    expect(text).toContain(`container_pressure_cpu_stalled_seconds_total{${labels}} 0`);
    expect(text).toContain(`container_pressure_memory_stalled_seconds_total{${labels}} 0.5`);
    expect(text).toContain(`container_pressure_io_waiting_seconds_total{${labels}} 2.5`);
    // A container without PSI (cgroup v1, psi=0) has no pressure series rather than zeros.
    expect(await renderCadvisor([pod], { cpuCores: 4, memoryBytes: 2 ** 30 })).not.toContain('container_pressure_cpu_waiting_seconds_total{');

    const summary = buildSummary('node-a', 0, { timestampMs: 0, cpuUsageSeconds: 1, memoryWorkingSetBytes: 5, memoryAvailableBytes: 1, memoryTotalBytes: 6 }, [withPsi]) as {
      pods: { containers: { cpu: { psi?: unknown }; memory: { psi?: unknown }; io?: { psi?: unknown } }[] }[];
    };
    const container = summary.pods[0]?.containers[0];
    expect(container?.cpu.psi).toEqual({ full: { total: 0, avg10: 0, avg60: 0, avg300: 0 }, some: { total: 2_500_000_000, avg10: 1.5, avg60: 0.5, avg300: 0.1 } });
    expect(container?.memory.psi).toEqual({ full: { total: 500_000_000, avg10: 0, avg60: 0, avg300: 0 }, some: { total: 2_500_000_000, avg10: 1.5, avg60: 0.5, avg300: 0.1 } });
    expect(container?.io?.psi).toMatchObject({ some: { total: 2_500_000_000 } });
  });
});
