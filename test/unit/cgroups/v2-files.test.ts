import { describe, expect, it } from 'vitest';
import { cpuMaxValue, cpuSharesToWeight, limitsToV2Files, swapMaxValue } from '../../../runtime/cgroups/v2-files.js';

describe('cpu shares to cpu.weight', () => {
  const table: Array<[shares: number, weight: number]> = [
    [2, 1],
    [1024, 39],
    [262144, 10000],
    [0, 1],
    [1, 1],
    [1_000_000, 10000],
  ];
  it.each(table)('maps %i shares to weight %i', (shares, weight) => {
    expect(cpuSharesToWeight(shares)).toBe(weight);
  });
});

describe('cpu.max', () => {
  const table: Array<[name: string, quota: number | undefined, period: number | undefined, value: string | undefined]> = [
    ['nothing set', undefined, undefined, undefined],
    ['0.2 CPU', 20000, 100000, '20000 100000'],
    ['unlimited quota with a period', -1, 100000, 'max 100000'],
    ['a period alone', undefined, 50000, 'max 50000'],
    ['a quota alone keeps the kernel period', 30000, undefined, '30000'],
  ];
  it.each(table)('writes %s as %s', (_name, quota, period, value) => {
    expect(cpuMaxValue(quota, period)).toBe(value);
  });
});

describe('memory.swap.max', () => {
  const table: Array<[name: string, memory: number | undefined, swap: number, value: string]> = [
    ['unlimited swap', 1 << 20, -1, 'max'],
    ['unlimited swap even without a memory limit', undefined, -1, 'max'],
    ['swap equal to memory: no swap', 1 << 20, 1 << 20, '0'],
    ['memory plus 1 MiB of swap', 1 << 20, 2 << 20, String(1 << 20)],
  ];
  it.each(table)('writes %s as %s', (_name, memory, swap, value) => {
    expect(swapMaxValue(memory, swap)).toBe(value);
  });

  it('refuses a swap limit below the memory limit', () => {
    expect(() => swapMaxValue(2 << 20, 1 << 20)).toThrow(/counts memory plus swap/);
  });
});

describe('limits to v2 files', () => {
  it('lists every file in write order, cpuset first and unified last', () => {
    expect(
      limitsToV2Files({
        cpuShares: 1024,
        cpuQuotaUs: 20000,
        cpuPeriodUs: 100000,
        cpusetCpus: '0',
        cpusetMems: '0',
        memoryBytes: 20 << 20,
        memorySwapBytes: 20 << 20,
        pidsMax: 32,
        hugepages: [{ pageSize: '2MB', limitBytes: 0 }],
        unified: { 'memory.max': '30000000', 'memory.high': '10000000' },
      }),
    ).toEqual([
      ['cpuset.cpus', '0'],
      ['cpuset.mems', '0'],
      ['cpu.weight', '39'],
      ['cpu.max', '20000 100000'],
      ['memory.max', String(20 << 20)],
      ['memory.swap.max', '0'],
      ['pids.max', '32'],
      ['hugetlb.2MB.max', '0'],
      ['memory.max', '30000000'],
      ['memory.high', '10000000'],
    ]);
  });

  it('writes unlimited pids as max', () => {
    expect(limitsToV2Files({ pidsMax: -1 })).toEqual([['pids.max', 'max']]);
  });

  it('writes nothing for empty limits', () => {
    expect(limitsToV2Files({})).toEqual([]);
  });

  it('refuses a hostile unified key even when Limits were built by hand', () => {
    expect(() => limitsToV2Files({ unified: { '../cgroup.procs': '1' } })).toThrow(/not a path/);
  });
});
