// What the v2 node guest's output must show, shared by the crun and the runc run: the same CRI
// requests must give the same v2 files and effects whichever OCI runtime berth drives.
import { expect, it } from 'vitest';
import { statsFromV2 } from '../../runtime/cgroups/stats.js';
import { parseDumps } from '../integration/cgroups/v2-guest-script.js';
import type { GuestResult } from '../harness/v2-guest.js';
import { mib } from './node-script.js';

export class NodeOutput {
  readonly dumps: Map<string, Record<string, string>>;

  constructor(readonly guest: GuestResult) {
    this.dumps = parseDumps(guest.output);
  }

  value(key: string): string {
    const line = this.guest.output.split('\n').find((l) => l.startsWith(`${key} `));
    if (line === undefined) throw new Error(`the guest printed no "${key}" line:\n${this.guest.output}`);
    return line.slice(key.length + 1).trim();
  }

  file(label: string, file: string): string {
    const text = this.dumps.get(label)?.[file];
    if (text === undefined) throw new Error(`the guest printed no ${label} ${file}:\n${this.guest.output}`);
    return text.trim();
  }
}

/** The tests both runtimes must pass; `node()` is read when the tests run, after beforeAll. */
export function nodeTests(node: () => NodeOutput, runtime: 'runc' | 'crun'): void {
  it('finds every controller on the pure v2 host and serves the CRI as berth', () => {
    expect(node().guest.exitCode).toBe(0);
    expect(node().value('controllers').split(' ')).toEqual(expect.arrayContaining(['cpuset', 'cpu', 'io', 'memory', 'pids']));
    expect(node().value('runtime-name')).toBe('berth');
    expect(node().value('selected')).toBe(`"runtime":"${runtime}"`);
  });

  it('runs an imported image as a pod container below the pod cgroup the kubelet named', () => {
    expect(node().value('image')).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(node().value('state')).toBe('CONTAINER_RUNNING');
    expect(node().value('container-cgroup')).toMatch(/^\/kubepods\/burstable\/podv2limits\/\S+$/);
    expect(node().value('procs')).toBe('1');
  });

  it(`has ${runtime} write the container's limits as v2 files`, () => {
    expect(node().file('container', 'cpu.max')).toBe('20000 100000');
    expect(node().file('container', 'cpu.weight')).toBe('20');
    expect(node().file('container', 'memory.max')).toBe(String(32 * mib));
    expect(node().file('container', 'memory.high')).toBe(String(30 * mib));
    expect(node().file('container', 'cpuset.cpus')).toBe('0');
  });

  it('throttles the busy container with cpu.max and reports its usage in CRI stats', () => {
    const before = statsFromV2({ 'cpu.stat': node().file('throttle-0', 'cpu.stat') }).cpu;
    const after = statsFromV2({ 'cpu.stat': node().file('throttle-1', 'cpu.stat') }).cpu;
    expect(after?.throttledPeriods ?? 0).toBeGreaterThan(before?.throttledPeriods ?? 0);
    const stats = JSON.parse(node().value('stats')) as { stats: { cpu?: { usageCoreNanoSeconds?: { value: string } }; memory?: { workingSetBytes?: { value: string } } }[] };
    expect(Number(stats.stats[0]?.cpu?.usageCoreNanoSeconds?.value)).toBeGreaterThan(0);
    expect(Number(stats.stats[0]?.memory?.workingSetBytes?.value)).toBeGreaterThan(0);
  });

  it('applies a live UpdateContainerResources to cpu.max and memory.max', () => {
    expect(node().file('updated', 'cpu.max')).toBe('50000 100000');
    expect(node().file('updated', 'memory.max')).toBe(String(64 * mib));
  });

  it('finds its running container again after kill -9 and a restart', () => {
    expect(node().value('restarted-state')).toBe('CONTAINER_RUNNING');
    expect(node().value('restarted-procs')).toBe('1');
  });

  it('records a container killed at its v2 memory.max as OOMKilled', () => {
    expect(node().value('oom-status')).toBe('CONTAINER_EXITED OOMKilled 137');
  });

  it('removes the container cgroup with the container and stops cleanly, having logged no error', () => {
    expect(node().value('container-cgroup-left')).toBe('no');
    expect(node().value('berth-errors')).toBe('0');
    expect(node().value('berth-exit')).toBe('0');
  });
}
