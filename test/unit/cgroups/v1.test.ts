import { describe, expect, it } from 'vitest';
import { CgroupsV1 } from '../../../runtime/cgroups/v1.js';
import { v1Anchors } from '../../../runtime/cgroups/own-cgroup.js';
import { MemoryCgroupFiles } from './memory-cgroup-files.js';

const procSelfCgroup = '4:memory:/machine/own\n3:cpuset:/\n1:cpu:/\n8:pids:/\n0::/\n';

function world(): { files: MemoryCgroupFiles; cgroups: CgroupsV1 } {
  const files = new MemoryCgroupFiles({
    'cgroup.procs': '',
    'cpuset.cpus': '',
    'cpuset.mems': '',
    'cpu.shares': '1024',
    'cpu.cfs_quota_us': '-1',
    'cpu.cfs_period_us': '100000',
    'memory.limit_in_bytes': '9223372036854771712',
    'memory.memsw.limit_in_bytes': '9223372036854771712',
    'pids.max': 'max',
  });
  files.addDir('/cg/memory/machine/own');
  files.addDir('/cg/cpuset', { 'cgroup.procs': '1\n', 'cpuset.cpus': '0-1', 'cpuset.mems': '0' });
  files.addDir('/cg/cpu');
  files.addDir('/cg/pids');
  return { files, cgroups: new CgroupsV1(v1Anchors('/cg', procSelfCgroup), files, { swapAccounting: true }) };
}

describe('cgroup v1 implementation (recorded writes)', () => {
  it('creates the cgroup below berth own cgroup in every hierarchy', async () => {
    const { files, cgroups } = world();
    await cgroups.create('kubepods/pod1');
    for (const dir of ['/cg/memory/machine/own/kubepods/pod1', '/cg/cpuset/kubepods/pod1', '/cg/cpu/kubepods/pod1', '/cg/pids/kubepods/pod1']) {
      expect(files.dirs.has(dir), dir).toBe(true);
    }
  });

  it('gives each new cpuset level its parent cpus and mems', async () => {
    const { files, cgroups } = world();
    await cgroups.create('kubepods/pod1');
    expect(files.files.get('/cg/cpuset/kubepods/cpuset.cpus')).toBe('0-1');
    expect(files.files.get('/cg/cpuset/kubepods/pod1/cpuset.cpus')).toBe('0-1');
    expect(files.files.get('/cg/cpuset/kubepods/pod1/cpuset.mems')).toBe('0');
  });

  it('writes each limit in its controller hierarchy', async () => {
    const { files, cgroups } = world();
    await cgroups.create('c');
    files.writes.length = 0;
    await cgroups.apply('c', { cpuQuotaUs: 20000, cpuPeriodUs: 100000, memoryBytes: 20 << 20, pidsMax: 10 });
    expect(files.writes).toEqual([
      ['/cg/cpu/c/cpu.cfs_period_us', '100000'],
      ['/cg/cpu/c/cpu.cfs_quota_us', '20000'],
      ['/cg/memory/machine/own/c/memory.limit_in_bytes', String(20 << 20)],
      ['/cg/pids/c/pids.max', '10'],
    ]);
  });

  it('raises memsw before the memory limit when a live update goes above the memsw in force', async () => {
    const { files, cgroups } = world();
    await cgroups.create('c');
    await cgroups.apply('c', { memoryBytes: 20 << 20, memorySwapBytes: 20 << 20 });
    files.writes.length = 0;
    await cgroups.update('c', { memoryBytes: 64 << 20, memorySwapBytes: 64 << 20 });
    expect(files.writes.map(([path]) => path.split('/').pop())).toEqual(['memory.memsw.limit_in_bytes', 'memory.limit_in_bytes']);
  });

  it('lowers the memory limit before memsw on a live update downwards', async () => {
    const { files, cgroups } = world();
    await cgroups.create('c');
    await cgroups.apply('c', { memoryBytes: 64 << 20, memorySwapBytes: 64 << 20 });
    files.writes.length = 0;
    await cgroups.update('c', { memoryBytes: 20 << 20, memorySwapBytes: 20 << 20 });
    expect(files.writes.map(([path]) => path.split('/').pop())).toEqual(['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes']);
  });

  it('moves a process into the cgroup in every hierarchy', async () => {
    const { files, cgroups } = world();
    await cgroups.create('c');
    files.writes.length = 0;
    await cgroups.addProcess('c', 4242);
    expect(files.writes.map(([path]) => path)).toEqual(['/cg/memory/machine/own/c/cgroup.procs', '/cg/cpuset/c/cgroup.procs', '/cg/cpu/c/cgroup.procs', '/cg/pids/c/cgroup.procs']);
  });

  it('lists the processes of every hierarchy once', async () => {
    const { files, cgroups } = world();
    await cgroups.create('c');
    files.files.set('/cg/cpu/c/cgroup.procs', '9\n3\n');
    files.files.set('/cg/pids/c/cgroup.procs', '3\n');
    expect(await cgroups.processes('c')).toEqual([3, 9]);
  });

  it('refuses to remove a cgroup that holds a process in any hierarchy', async () => {
    const { files, cgroups } = world();
    await cgroups.create('c');
    files.files.set('/cg/pids/c/cgroup.procs', '3\n');
    await expect(cgroups.remove('c')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect(files.removed).toEqual([]);
  });

  it('removes the cgroup from every hierarchy, and removing it again succeeds', async () => {
    const { files, cgroups } = world();
    await cgroups.create('c');
    await cgroups.remove('c');
    await cgroups.remove('c');
    expect(files.removed.sort()).toEqual(['/cg/cpu/c', '/cg/cpuset/c', '/cg/memory/machine/own/c', '/cg/pids/c']);
  });

  it("also removes the mirror runc made in a hybrid host's cgroup2 mount, last", async () => {
    const { files, cgroups } = world();
    await cgroups.create('kubepods/pod1');
    files.addDir('/cg/unified/kubepods/pod1');
    await cgroups.remove('kubepods/pod1');
    expect(files.removed.at(-1)).toBe('/cg/unified/kubepods/pod1');
    expect(files.removed).toHaveLength(5);
  });

  it('places a rooted path (below berth own cgroup everywhere) from each hierarchy root, and removes it there', async () => {
    const { files, cgroups } = world();
    await cgroups.create('/machine/own/kubelet/pod1');
    await cgroups.apply('/machine/own/kubelet/pod1', { memoryBytes: 20 << 20 });
    expect(files.files.get('/cg/memory/machine/own/kubelet/pod1/memory.limit_in_bytes')).toBe(String(20 << 20));
    expect(files.dirs.has('/cg/cpu/machine/own/kubelet/pod1')).toBe(true);
    await cgroups.remove('/machine/own/kubelet/pod1');
    expect(files.removed).toContain('/cg/memory/machine/own/kubelet/pod1');
  });

  it.each(['/elsewhere/pod1', '/machine/own', '/machine/own/../x'])('refuses the rooted path %s, outside or at berth own cgroup, before touching a file', async (path) => {
    const { files, cgroups } = world();
    await expect(cgroups.create(path)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(files.writes).toEqual([]);
    expect([...files.dirs].filter((d) => d.split('/').length > 3 && !d.startsWith('/cg/memory/machine'))).toEqual([]);
  });

  it('refuses unified resources on v1 before writing anything', async () => {
    const { files, cgroups } = world();
    await cgroups.create('c');
    files.writes.length = 0;
    await expect(cgroups.apply('c', { memoryBytes: 1 << 20, unified: { 'memory.high': '1' } })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect(files.writes).toEqual([]);
  });

  it('puts "no limit" back on a cgroup a pod\'s limits were written to, memsw before memory, and then has nothing to do', async () => {
    const { files, cgroups } = world();
    await cgroups.create('berth');
    await cgroups.apply('berth', { cpuShares: 512, cpuQuotaUs: 20_000, memoryBytes: 100 * 2 ** 20, memorySwapBytes: 100 * 2 ** 20 });
    files.writes.length = 0;
    expect(await cgroups.clearLimits('berth')).toEqual(['cpu.cfs_quota_us', 'cpu.shares', 'memory.memsw.limit_in_bytes', 'memory.limit_in_bytes']);
    expect(files.writes).toEqual([
      ['/cg/cpu/berth/cpu.cfs_quota_us', '-1'],
      ['/cg/cpu/berth/cpu.shares', '1024'],
      ['/cg/memory/machine/own/berth/memory.memsw.limit_in_bytes', '-1'],
      ['/cg/memory/machine/own/berth/memory.limit_in_bytes', '-1'],
    ]);
    files.files.set('/cg/memory/machine/own/berth/memory.memsw.limit_in_bytes', '9223372036854771712');
    files.files.set('/cg/memory/machine/own/berth/memory.limit_in_bytes', '9223372036854771712');
    expect(await cgroups.clearLimits('berth')).toEqual([]);
    expect(await cgroups.clearLimits('absent')).toEqual([]);
  });
});
