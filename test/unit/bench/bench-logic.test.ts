// The benchmark's own logic (no runtime involved): statistics, which processes count as a
// runtime's memory, and that the report renders every measured figure and says what was not.
import { describe, expect, it } from 'vitest';
import { runtimeProcesses, type ProcessInfo } from '../../../bench/process-memory.js';
import { judgeGoals } from '../../../bench/goals.js';
import { renderCharts, renderMarkdown, renderTable, type BenchReport } from '../../../bench/report.js';
import { summarize } from '../../../bench/stats.js';
import { cdfPoints } from '../../../bench/svg-chart.js';

describe('benchmark statistics', () => {
  it('takes nearest-rank percentiles of unsorted samples', () => {
    const s = summarize([5, 1, 4, 2, 3, 10, 9, 8, 7, 6]);
    expect(s).toMatchObject({ count: 10, p50: 5, p90: 9, p99: 10, max: 10, mean: 5.5 });
  });

  it('builds an empirical CDF ending at 1', () => {
    expect(cdfPoints([3, 1, 2])).toEqual([
      [1, 1 / 3],
      [2, 2 / 3],
      [3, 1],
    ]);
  });
});

describe('runtime memory accounting', () => {
  const table: ProcessInfo[] = [
    { pid: 100, ppid: 1, cmdline: 'containerd --config /tmp/c/config.toml' },
    { pid: 200, ppid: 1, cmdline: 'containerd-shim-runc-v2 -namespace k8s.io -id a -address /tmp/c/containerd.sock' },
    { pid: 201, ppid: 200, cmdline: '/bin/sh -c trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done' },
    { pid: 202, ppid: 201, cmdline: 'sleep 3600' },
    { pid: 203, ppid: 200, cmdline: 'sleep 3600' },
    { pid: 300, ppid: 1, cmdline: 'unrelated' },
  ];

  it('counts the daemon, shims and pause containers, but not the workload', () => {
    const pids = runtimeProcesses(table, 100, '/tmp/c/containerd.sock', 'sleep 3600').map((p) => p.pid);
    expect(pids.sort()).toEqual([100, 200, 201, 202]);
  });
});

describe('benchmark report', () => {
  const sequential = { count: 2, p50: 100, p90: 120, p99: 120, max: 120, mean: 110 };
  const report: BenchReport = {
    date: '2026-11-23T00:00:00.000Z',
    durationSeconds: 60,
    machine: { cpus: 2, cpuModel: 'test cpu', memoryBytes: 2 ** 30, kernel: '6.1' },
    versions: { berth: '0.1.0' },
    options: {},
    runtimes: {
      berth: {
        podStart: {
          sequential: { total: sequential, sandbox: sequential, create: sequential, start: sequential, teardown: sequential, totalSamples: [100, 120] },
          concurrent: { pods: 4, concurrency: 2, wallMs: 500, perPod: sequential },
        },
        density: { error: 'boom' },
      },
      'containerd-2': {
        podStart: {
          sequential: { total: { ...sequential, p50: 200 }, sandbox: sequential, create: sequential, start: sequential, teardown: sequential, totalSamples: [200] },
          concurrent: { pods: 4, concurrency: 2, wallMs: 1000, perPod: sequential },
        },
      },
      'containerd-1.6': {
        podStart: { error: 'connection reset', peerDied: 'exited with SIGSEGV', log: 'bench/results/logs/containerd-1.6-pod-start.log' },
      },
    },
    floors: { runcCreateStart: { ...sequential, p50: 40 }, cniAdd: { ...sequential, p50: 10 } },
    pullFloors: { error: 'not run' },
    cleanupFailures: ['containerd-1.6 after pod start: removing /tmp/x: EBUSY'],
  };

  it('prints ratios to containerd 2.x (not 1.6) and to the floor', () => {
    const line = renderTable(report)
      .split('\n')
      .find((l) => l.startsWith('pod start p50'));
    expect(line).toMatch(/100 ms\s+200 ms\s+–\s+0\.50×\s+2\.00×/);
  });

  it('reports a phase whose peer died with how it died and where its log is, and what was not cleaned up', () => {
    const markdown = renderMarkdown(report, []);
    expect(markdown).toContain('- containerd-1.6 podStart: connection reset (the daemon exited with SIGSEGV; its log: bench/results/logs/containerd-1.6-pod-start.log)');
    expect(markdown).toContain('- cleanup failed: containerd-1.6 after pod start: removing /tmp/x: EBUSY');
  });

  it('names every phase that was not measured instead of printing a number', () => {
    expect(renderTable(report)).toContain('not measured: berth density: boom');
    expect(renderMarkdown(report, [])).toContain('- pull floors: not run');
  });

  it("judges the issue's goals against containerd 2.x and the floor, and says which were not measured", () => {
    const goals = judgeGoals(report);
    expect(goals.find((g) => g.goal.startsWith('pod start p50 (sequential) ≤ 0.7×'))).toEqual({ goal: 'pod start p50 (sequential) ≤ 0.7× containerd 2.x', measured: '0.50×', met: true });
    expect(goals.find((g) => g.goal.endsWith('the floor'))).toMatchObject({ measured: '2.00×', met: false });
    expect(goals.find((g) => g.goal.startsWith('idle daemon RSS'))).toMatchObject({ measured: undefined, met: undefined });
    expect(renderMarkdown(report, [])).toContain('| concurrent pods wall time ≤ 0.7× containerd 2.x | 0.50× | met |');
  });

  it('closes with the hand-written analysis when there is one, and without the section when there is none', () => {
    expect(renderMarkdown(report, [], '\nCreateContainer waits on runc create.\n')).toMatch(/## Where the time and memory go\n\nCreateContainer waits on runc create\.\n$/);
    expect(renderMarkdown(report, [], '  \n')).not.toContain('## Where the time and memory go');
  });

  it('draws the pod start CDF only from measured runtimes', () => {
    const charts = renderCharts(report);
    expect(Object.keys(charts)).toEqual(['pod-start-cdf.svg']);
    expect(charts['pod-start-cdf.svg']).toContain('<svg');
    expect(charts['pod-start-cdf.svg']).toContain('containerd');
  });
});
