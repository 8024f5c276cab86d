import { describe, expect, it } from 'vitest';
import { CgroupsV2 } from '../../../runtime/cgroups/v2.js';
import { v2Anchors } from '../../../runtime/cgroups/own-cgroup.js';
import { MemoryCgroupFiles } from './memory-cgroup-files.js';

const childFiles = {
  'cgroup.controllers': 'cpuset cpu io memory pids',
  'cgroup.subtree_control': '',
  'cgroup.procs': '',
  'cpu.weight': '100',
  'cpu.max': 'max 100000',
  'memory.max': 'max',
  'memory.swap.max': 'max',
  'pids.max': 'max',
  'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n',
};

function world(): { files: MemoryCgroupFiles; cgroups: CgroupsV2 } {
  const files = new MemoryCgroupFiles(childFiles);
  files.addDir('/cg', { 'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma', 'cgroup.subtree_control': '', 'cgroup.procs': '1\n' });
  return { files, cgroups: new CgroupsV2(v2Anchors('/cg', ['cpu', 'memory']), files) };
}

describe('cgroup v2 implementation (recorded writes)', () => {
  it('creates each level and enables berth controllers on every ancestor but not the leaf', async () => {
    const { files, cgroups } = world();
    await cgroups.create('kubepods/pod1/c1');
    expect(files.dirs).toEqual(new Set(['/cg', '/cg/kubepods', '/cg/kubepods/pod1', '/cg/kubepods/pod1/c1']));
    expect(files.writes).toEqual([
      ['/cg/cgroup.subtree_control', '+cpuset +cpu +io +memory +hugetlb +pids'],
      ['/cg/kubepods/cgroup.subtree_control', '+cpuset +cpu +io +memory +pids'],
      ['/cg/kubepods/pod1/cgroup.subtree_control', '+cpuset +cpu +io +memory +pids'],
    ]);
  });

  it('writes nothing when creating a cgroup that already exists', async () => {
    const { files, cgroups } = world();
    await cgroups.create('kubepods/pod1');
    const before = files.writes.length;
    await cgroups.create('kubepods/pod1');
    expect(files.writes.length).toBe(before);
  });

  it('writes the mapped limit files into the cgroup directory', async () => {
    const { files, cgroups } = world();
    await cgroups.create('kubepods/pod1');
    files.writes.length = 0;
    await cgroups.apply('kubepods/pod1', { cpuShares: 1024, cpuQuotaUs: 20000, cpuPeriodUs: 100000, memoryBytes: 20 << 20, pidsMax: 16 });
    expect(files.writes).toEqual([
      ['/cg/kubepods/pod1/cpu.weight', '39'],
      ['/cg/kubepods/pod1/cpu.max', '20000 100000'],
      ['/cg/kubepods/pod1/memory.max', String(20 << 20)],
      ['/cg/kubepods/pod1/pids.max', '16'],
    ]);
  });

  it('refuses to apply limits to a cgroup that does not exist', async () => {
    const { cgroups } = world();
    await expect(cgroups.apply('kubepods/absent', { memoryBytes: 1 << 20 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reports a value the kernel refuses as an invalid argument naming the file', async () => {
    const { files, cgroups } = world();
    await cgroups.create('kubepods/pod1');
    files.failWrites.set('/cg/kubepods/pod1/memory.max', 'EINVAL');
    await expect(cgroups.apply('kubepods/pod1', { memoryBytes: 1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/memory.max/),
    });
  });

  it('reports a missing controller file as a failed precondition', async () => {
    const { cgroups } = world();
    await cgroups.create('kubepods/pod1');
    await expect(cgroups.apply('kubepods/pod1', { hugepages: [{ pageSize: '2MB', limitBytes: 0 }] })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringMatching(/hugetlb.2MB.max does not exist/),
    });
  });

  it('refuses to remove a cgroup that holds processes', async () => {
    const { files, cgroups } = world();
    await cgroups.create('kubepods/pod1');
    files.files.set('/cg/kubepods/pod1/cgroup.procs', '42\n7\n');
    await expect(cgroups.remove('kubepods/pod1')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/7, 42/) });
    expect(files.dirs.has('/cg/kubepods/pod1')).toBe(true);
  });

  it('refuses to remove a cgroup with child cgroups', async () => {
    const { files, cgroups } = world();
    await cgroups.create('kubepods/pod1/c1');
    await expect(cgroups.remove('kubepods/pod1')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/c1/) });
    expect(files.removed).toEqual([]);
  });

  it('removes an empty cgroup, and removing it again succeeds', async () => {
    const { files, cgroups } = world();
    await cgroups.create('kubepods/pod1');
    await cgroups.remove('kubepods/pod1');
    await cgroups.remove('kubepods/pod1');
    expect(files.removed).toEqual(['/cg/kubepods/pod1']);
    expect(files.dirs.has('/cg/kubepods')).toBe(true);
  });

  it('reads OOM kills from memory.events', async () => {
    const { files, cgroups } = world();
    await cgroups.create('c');
    files.files.set('/cg/c/memory.events', 'low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n');
    expect(await cgroups.oomEvents('c')).toEqual({ oomKills: 1, limitHits: 5 });
  });

  it.each(['/kubepods', '../escape', 'a/../../b', 'a//b', ''])('refuses the path "%s" before touching any file', async (path) => {
    const { files, cgroups } = world();
    await expect(cgroups.create(path)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(cgroups.remove(path)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(files.writes).toEqual([]);
    expect(files.dirs).toEqual(new Set(['/cg']));
  });

  it('puts "no limit" back on a cgroup a pod\'s limits were written to, and then has nothing to do', async () => {
    const { files, cgroups } = world();
    await cgroups.create('berth');
    await cgroups.apply('berth', { cpuShares: 512, cpuQuotaUs: 20_000, cpuPeriodUs: 100_000, memoryBytes: 100 * 2 ** 20 });
    files.writes.length = 0;
    expect(await cgroups.clearLimits('berth')).toEqual(['cpu.max', 'cpu.weight', 'memory.max']);
    expect(files.writes).toEqual([
      ['/cg/berth/cpu.max', 'max'],
      ['/cg/berth/cpu.weight', '100'],
      ['/cg/berth/memory.max', 'max'],
    ]);
    files.files.set('/cg/berth/cpu.max', 'max 100000');
    expect(await cgroups.clearLimits('berth')).toEqual([]);
    expect(await cgroups.clearLimits('absent')).toEqual([]);
  });
});
