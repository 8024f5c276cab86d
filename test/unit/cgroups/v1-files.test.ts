import { describe, expect, it } from 'vitest';
import { limitsToV1Files, orderV1MemoryWrites, type V1FileWrite } from '../../../runtime/cgroups/v1-files.js';

const host = { swapAccounting: true, hugetlb: true };

describe('limits to v1 files', () => {
  it('lists every file in its controller, the cfs period before the quota', () => {
    expect(
      limitsToV1Files(
        {
          cpuShares: 1024,
          cpuQuotaUs: 20000,
          cpuPeriodUs: 100000,
          cpusetCpus: '0-1',
          memoryBytes: 20 << 20,
          memorySwapBytes: 40 << 20,
          pidsMax: -1,
          hugepages: [{ pageSize: '2MB', limitBytes: 2 << 20 }],
        },
        host,
      ),
    ).toEqual([
      ['cpuset', 'cpuset.cpus', '0-1'],
      ['cpu', 'cpu.shares', '1024'],
      ['cpu', 'cpu.cfs_period_us', '100000'],
      ['cpu', 'cpu.cfs_quota_us', '20000'],
      ['memory', 'memory.limit_in_bytes', String(20 << 20)],
      ['memory', 'memory.memsw.limit_in_bytes', String(40 << 20)],
      ['pids', 'pids.max', 'max'],
      ['hugetlb', 'hugetlb.2MB.limit_in_bytes', String(2 << 20)],
    ]);
  });

  it('clamps cpu shares to the kernel range', () => {
    expect(limitsToV1Files({ cpuShares: 1 }, host)).toEqual([['cpu', 'cpu.shares', '2']]);
    expect(limitsToV1Files({ cpuShares: 500_000 }, host)).toEqual([['cpu', 'cpu.shares', '262144']]);
  });

  it('writes an unlimited quota as -1', () => {
    expect(limitsToV1Files({ cpuQuotaUs: -1 }, host)).toEqual([['cpu', 'cpu.cfs_quota_us', '-1']]);
  });

  it('skips the swap limit with a warning when the kernel has no swap accounting', () => {
    const warnings: string[] = [];
    const writes = limitsToV1Files({ memoryBytes: 1 << 20, memorySwapBytes: 2 << 20 }, { ...host, swapAccounting: false }, warnings);
    expect(writes).toEqual([['memory', 'memory.limit_in_bytes', String(1 << 20)]]);
    expect(warnings).toEqual([expect.stringMatching(/no swap accounting/)]);
  });

  it('refuses unified resources, which only cgroup v2 has', () => {
    expect(() => limitsToV1Files({ unified: { 'memory.high': '1' } }, host)).toThrow(/node runs cgroup v1/);
  });

  it('refuses hugepage limits where no v1 hugetlb hierarchy is mounted', () => {
    expect(() => limitsToV1Files({ hugepages: [{ pageSize: '2MB', limitBytes: 0 }] }, { ...host, hugetlb: false })).toThrow(/hugetlb/);
  });
});

describe('v1 memory write order', () => {
  const writes: V1FileWrite[] = [
    ['cpu', 'cpu.shares', '2'],
    ['memory', 'memory.limit_in_bytes', String(64 << 20)],
    ['memory', 'memory.memsw.limit_in_bytes', String(64 << 20)],
    ['pids', 'pids.max', '10'],
  ];

  it('writes the memory limit first when it fits under the memsw limit in force', () => {
    expect(orderV1MemoryWrites(writes, 128 << 20)).toEqual(writes);
  });

  it('writes memsw first when the new memory limit is above the memsw limit in force', () => {
    expect(orderV1MemoryWrites(writes, 32 << 20).map(([, file]) => file)).toEqual(['cpu.shares', 'memory.memsw.limit_in_bytes', 'memory.limit_in_bytes', 'pids.max']);
  });
});
