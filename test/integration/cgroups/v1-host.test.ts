// The cgroup layer on this hybrid host, for real: limits written by berth, enforced by the kernel,
// measured back through berth. Everything lives below this process's own cgroup (ENVIRONMENT.md).
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Cgroups } from '../../../runtime/cgroups/cgroups.js';
import { openCgroups } from '../../../runtime/cgroups/detect.js';
import { parseProcCgroup, type CgroupAnchors } from '../../../runtime/cgroups/own-cgroup.js';
import type { CgroupsV1 } from '../../../runtime/cgroups/v1.js';
import { requireRoot } from '../../harness/root.js';
import { removeCgroups } from './cgroup-cleanup.js';
import { describeCgroupsContract } from './cgroups-contract.js';
import { startHeld } from './held-process.js';

const parent = `berth-cgtest-${process.pid}`;
const mib = 1 << 20;
let cgroups: Cgroups;
let anchors: CgroupAnchors;
const created: string[] = [];

async function fresh(name: string): Promise<string> {
  const path = `${parent}/${name}`;
  created.push(path, parent);
  await cgroups.create(path);
  return path;
}

async function v1File(path: string, controller: string, file: string): Promise<string> {
  const dir = (cgroups as CgroupsV1).dir(path, controller);
  if (dir === undefined) throw new Error(`no ${controller} hierarchy`);
  return (await readFile(join(dir, file), 'utf8')).trim();
}

beforeAll(async () => {
  requireRoot('integration');
  ({ cgroups, anchors } = await openCgroups());
});

afterEach(async () => {
  const paths = [...new Set(created.splice(0))];
  await removeCgroups(cgroups, paths);
});

describeCgroupsContract('cgroup v1 (this hybrid host)', () => ({ cgroups, parent: `${parent}/contract` }));

describe('cgroup v1 on this hybrid host (real kernel, real processes)', () => {
  it('detects v1 and anchors every hierarchy at this process own cgroup', async () => {
    expect(cgroups.version).toBe('v1');
    const own = parseProcCgroup(await readFile('/proc/self/cgroup', 'utf8'));
    const memoryLine = own.find((l) => l.controllers.split(',').includes('memory'));
    expect(anchors.hierarchies.find((h) => h.controllers.includes('memory'))?.anchor).toBe(memoryLine?.path);
  });

  it('creates a cgroup in every hierarchy and removes it from every one', async () => {
    const path = await fresh('lifecycle');
    const dirs = anchors.hierarchies.map((h) => join(h.mountDir, h.anchor, path));
    for (const dir of dirs) await expect(readFile(join(dir, 'cgroup.procs'), 'utf8')).resolves.toBe('');
    await cgroups.remove(path);
    for (const dir of dirs) await expect(readFile(join(dir, 'cgroup.procs'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('OOM-kills a process that allocates past a 20 MiB memory limit and counts the kill', async () => {
    const path = await fresh('oom');
    await cgroups.apply(path, { memoryBytes: 20 * mib, memorySwapBytes: 20 * mib });
    expect(await v1File(path, 'memory', 'memory.limit_in_bytes')).toBe(String(20 * mib));
    const before = await cgroups.oomEvents(path);

    // busybox tail keeps a line in memory until its end; /dev/zero has no newline. The reporting
    // shell shields itself from the OOM killer and its subshell gives that up again, so the kill
    // lands in the pipeline and the shell lives to say so (it was picked now and then).
    const held = startHeld('echo -999 > /proc/$$/oom_score_adj; (echo 1000 > /proc/self/oom_score_adj; head -c 64m /dev/zero | busybox tail >/dev/null); echo tail-exit $?');
    await cgroups.addProcess(path, held.pid);
    const result = await held.release();

    expect(result.stdout).toContain('tail-exit 137');
    const after = await cgroups.oomEvents(path);
    expect(after.oomKills).toBeGreaterThan(before.oomKills);
  });

  it('holds a busy loop to about 0.2 CPU with a 20 ms per 100 ms quota and counts throttled periods', async () => {
    const path = await fresh('cpu');
    await cgroups.apply(path, { cpuQuotaUs: 20_000, cpuPeriodUs: 100_000 });
    const held = startHeld('while :; do :; done');
    try {
      await cgroups.addProcess(path, held.pid);
      void held.release();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const start = await cgroups.stats(path);
      const startedAt = process.hrtime.bigint();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const end = await cgroups.stats(path);
      const wallNanos = Number(process.hrtime.bigint() - startedAt);

      const cpus = ((end.cpu?.usageNanos ?? 0) - (start.cpu?.usageNanos ?? 0)) / wallNanos;
      expect(cpus).toBeGreaterThan(0.1);
      expect(cpus).toBeLessThan(0.35);
      expect(end.cpu?.throttledPeriods ?? 0).toBeGreaterThan(start.cpu?.throttledPeriods ?? 0);
      expect(end.cpu?.throttledNanos ?? 0).toBeGreaterThan(0);
    } finally {
      held.kill();
    }
  });

  it('stops a fork loop at its pids limit while the host keeps forking', async () => {
    const path = await fresh('pids');
    await cgroups.apply(path, { pidsMax: 10 });
    const held = startHeld('i=0; while [ $i -lt 50 ]; do busybox sleep 60 >/dev/null 2>&1 & i=$((i+1)); done; echo loop-finished');
    await cgroups.addProcess(path, held.pid);
    const result = await held.release();

    expect(result.stdout).not.toContain('loop-finished');
    expect(result.stderr).toMatch(/can't fork/);
    const stats = await cgroups.stats(path);
    expect(stats.pids?.current).toBeGreaterThan(0);
    expect(stats.pids?.current).toBeLessThanOrEqual(10);
    expect(await v1File(path, 'pids', 'pids.events')).toMatch(/^max [1-9]/);
    // The node is fine: a process outside the cgroup still starts.
    await expect(execa('busybox', ['true'])).resolves.toMatchObject({ exitCode: 0 });
  });

  it('applies a live memory limit update to a cgroup with a running process', async () => {
    const path = await fresh('update');
    await cgroups.apply(path, { memoryBytes: 64 * mib, memorySwapBytes: 64 * mib });
    // As in the OOM test: the resident and the reporting shell shield themselves from the OOM
    // killer (the shell was picked now and then), the subshell gives that up for the pipeline.
    const resident = startHeld('echo -999 > /proc/$$/oom_score_adj; exec busybox sleep 60');
    await cgroups.addProcess(path, resident.pid);
    void resident.release();
    const allocate40 = async (): Promise<string> => {
      const held = startHeld('echo -999 > /proc/$$/oom_score_adj; (echo 1000 > /proc/self/oom_score_adj; head -c 40m /dev/zero | busybox tail >/dev/null); echo tail-exit $?');
      await cgroups.addProcess(path, held.pid);
      return (await held.release()).stdout;
    };

    expect(await allocate40()).toContain('tail-exit 0');
    await cgroups.update(path, { memoryBytes: 20 * mib, memorySwapBytes: 20 * mib });
    expect(await v1File(path, 'memory', 'memory.limit_in_bytes')).toBe(String(20 * mib));
    expect(await allocate40()).toContain('tail-exit 137');
    // Raising it again needs memsw written first; the kernel refuses the other order.
    await cgroups.update(path, { memoryBytes: 64 * mib, memorySwapBytes: 64 * mib });
    expect(await allocate40()).toContain('tail-exit 0');
    expect((await cgroups.processes(path)).length).toBeGreaterThan(0);
  });

  it('reports memory usage and a working set no larger than it', async () => {
    const path = await fresh('usage');
    // tail buffers the newline-less 8 MiB until its input ends, which the sleep holds off.
    const held = startHeld('(head -c 8m /dev/zero; busybox sleep 60) | busybox tail >/dev/null');
    await cgroups.addProcess(path, held.pid);
    void held.release();
    let stats = await cgroups.stats(path);
    for (let i = 0; i < 100 && (stats.memory?.usageBytes ?? 0) < 8 * mib; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      stats = await cgroups.stats(path);
    }
    expect(stats.memory?.usageBytes).toBeGreaterThanOrEqual(8 * mib);
    expect(stats.memory?.workingSetBytes).toBeLessThanOrEqual(stats.memory?.usageBytes ?? 0);
    expect(stats.memory?.rssBytes).toBeGreaterThan(0);
    expect(stats.memory?.pageFaults).toBeGreaterThan(0);
    expect(stats.pids?.current).toBeGreaterThanOrEqual(1);
  });

  it("clears a pod's limits off a parent whose children keep theirs, and the kernel shows no limit", async () => {
    const path = await fresh('shared');
    const child = await fresh('shared/child');
    await cgroups.apply(path, { cpuShares: 512, cpuQuotaUs: 20_000, cpuPeriodUs: 100_000, memoryBytes: 100 * mib });
    await cgroups.apply(child, { cpuQuotaUs: 10_000, cpuPeriodUs: 100_000 });
    expect(await cgroups.clearLimits(path)).toEqual(expect.arrayContaining(['cpu.cfs_quota_us', 'cpu.shares', 'memory.limit_in_bytes']));
    expect(await v1File(path, 'cpu', 'cpu.cfs_quota_us')).toBe('-1');
    expect(await v1File(path, 'cpu', 'cpu.shares')).toBe('1024');
    expect(BigInt(await v1File(path, 'memory', 'memory.limit_in_bytes'))).toBeGreaterThanOrEqual(2n ** 62n);
    expect(await v1File(child, 'cpu', 'cpu.cfs_quota_us')).toBe('10000');
    // berth run --cpus 0.5 below it now: a quota above the pod's 0.2 that v1 refused under it.
    await cgroups.apply(child, { cpuQuotaUs: 50_000 });
    expect(await cgroups.clearLimits(path)).toEqual([]);
  });
});
