// What the v2 guest's `berth node` run must show, shared by the crun and the runc run: the QoS
// tiers and pod cgroups on the pure v2 hierarchy, sized as upstream's kubelet sizes them, the pods
// on the guest's CNI bridge, and the read-only port's stats and cAdvisor series from v2 counters.
import { expect, it } from 'vitest';
import { cpuToShares, minShares } from '../../kubelet/pod-cgroup.js';
import { sharesToWeight } from '../../kubelet/qos-cgroups.js';
import { kubeReserved } from './kubelet-script.js';
import { mib } from './node-script.js';
import type { NodeOutput } from './node-expectations.js';

interface SummaryPod {
  podRef: { name: string };
  containers?: { name: string; cpu?: { usageCoreNanoSeconds?: number; psi?: { some: { total: number } } }; memory?: { workingSetBytes?: number }; io?: { psi?: unknown } }[];
}

/** The value of the first sample of `family` whose label values start with each of `labels`' (static pods' names end with the node's). */
function sample(page: string, family: string, labels: Record<string, string>): number | undefined {
  for (const line of page.split('\n')) {
    if (!line.startsWith(`${family}{`)) continue;
    if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}`))) continue;
    return Number(
      line
        .slice(line.lastIndexOf('}') + 1)
        .trim()
        .split(' ')[0],
    );
  }
  return undefined;
}

export function kubeletTests(node: () => NodeOutput, runtime: 'runc' | 'crun'): void {
  it(`runs the three static pods with ${runtime}`, () => {
    expect(node().guest.exitCode).toBe(0);
    expect(node().value('selected')).toBe(`"runtime":"${runtime}"`);
    expect(node().value('running')).toBe('3');
  });

  it('makes the QoS tiers as v2 cgroups below kubepods, sized as upstream', () => {
    expect(node().value('kubepods-subtree').split(' ')).toEqual(expect.arrayContaining(['cpu', 'memory', 'pids']));
    const [, memTotal = '0'] = node().value('machine').split(' ');
    const page = 4096;
    const allocatable = Number(memTotal) - 256 * mib;
    expect(kubeReserved.memory).toBe('256Mi');
    expect(node().file('kubepods', 'memory.max')).toBe(String(Math.floor(allocatable / page) * page));
    expect(node().file('kubepods/besteffort', 'cpu.weight')).toBe(String(sharesToWeight(minShares)));
    expect(node().file('kubepods/burstable', 'cpu.weight')).toBe(String(sharesToWeight(cpuToShares(0.3))));
    expect(node().file('kubepods/burstable', 'memory.max')).toBe('max');
  });

  it('puts each pod in its tier: Guaranteed under kubepods, Burstable and BestEffort in theirs', () => {
    expect(node().value('pod-cgroup-guaranteed')).toMatch(/^\/kubepods\/pod[0-9a-f-]+$/);
    expect(node().value('pod-cgroup-burstable')).toMatch(/^\/kubepods\/burstable\/pod[0-9a-f-]+$/);
    expect(node().value('pod-cgroup-besteffort')).toMatch(/^\/kubepods\/besteffort\/pod[0-9a-f-]+$/);
  });

  it("writes the pods' limits as v2 files on the pod cgroups", () => {
    expect(node().file('pod-guaranteed', 'cpu.max')).toBe('20000 100000');
    expect(node().file('pod-guaranteed', 'memory.max')).toBe(String(48 * mib));
    expect(node().file('pod-burstable', 'memory.max')).toBe(String(64 * mib));
    expect(node().file('pod-burstable', 'cpu.max')).toBe('max 100000');
    expect(node().file('pod-besteffort', 'memory.max')).toBe('max');
    expect(node().file('pod-besteffort', 'cpu.weight')).toBe(String(sharesToWeight(minShares)));
  });

  it('gives every pod an address on the CNI bridge in the guest', () => {
    const ips = ['guaranteed', 'burstable', 'besteffort'].map((name) => node().value(`pod-ip-${name}`));
    for (const ip of ips) expect(ip).toMatch(/^10\.244\.199\.\d+$/);
    expect(new Set(ips).size).toBe(3);
  });

  it("serves /stats/summary from the containers' v2 cpu.stat and memory.stat", () => {
    const summary = JSON.parse(node().file('read-only', 'stats/summary')) as { pods: SummaryPod[] };
    for (const name of ['guaranteed', 'burstable', 'besteffort']) {
      const main = summary.pods.find((p) => p.podRef.name.startsWith(name))?.containers?.find((c) => c.name === 'main');
      expect(main?.cpu?.usageCoreNanoSeconds, name).toBeGreaterThan(0);
      expect(main?.memory?.workingSetBytes, name).toBeGreaterThan(0);
    }
  });

  it('serves /metrics/cadvisor from the v2 counters: cpu.stat, memory.stat and the CFS figures', () => {
    const page = node().file('read-only', 'metrics/cadvisor');
    expect(sample(page, 'container_cpu_usage_seconds_total', { container: 'main', namespace: 'v2' })).toBeGreaterThan(0);
    expect(sample(page, 'container_memory_working_set_bytes', { container: 'main', namespace: 'v2' })).toBeGreaterThan(0);
    // The Guaranteed pod's container has a quota: cpu.stat's nr_periods counts its periods.
    expect(sample(page, 'container_cpu_cfs_periods_total', { container: 'main', pod: 'guaranteed' })).toBeGreaterThan(0);
  });

  it('serves the v2 PSI figures (cpu.pressure, memory.pressure, io.pressure) in the summary and as cAdvisor series', () => {
    // The guest boots with psi=1 (Debian builds PSI in, off by default).
    expect(node().value('psi-present')).toBe('yes');
    const summary = JSON.parse(node().file('read-only', 'stats/summary')) as {
      pods: (SummaryPod & { containers?: { name: string; cpu?: { psi?: { some: { total: number } } }; io?: { psi?: unknown } }[] })[];
    };
    const main = summary.pods.find((p) => p.podRef.name.startsWith('guaranteed'))?.containers?.find((c) => c.name === 'main');
    // Held to 200m of a busy loop, the container waits for CPU: the some line's total grows.
    expect(main?.cpu?.psi?.some.total).toBeGreaterThan(0);
    expect(main?.io?.psi).toBeDefined();
    const page = node().file('read-only', 'metrics/cadvisor');
    expect(sample(page, 'container_pressure_cpu_waiting_seconds_total', { container: 'main', pod: 'guaranteed' })).toBeGreaterThan(0);
    expect(sample(page, 'container_pressure_memory_stalled_seconds_total', { container: 'main', pod: 'guaranteed' })).toBeDefined();
    expect(sample(page, 'container_pressure_io_waiting_seconds_total', { container: 'main', pod: 'guaranteed' })).toBeDefined();
  });

  it('stops cleanly, having logged no error', () => {
    expect(node().value('berth-errors')).toBe('0');
    expect(node().value('berth-exit')).toBe('0');
  });
}
