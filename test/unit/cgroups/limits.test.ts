import { describe, expect, it } from 'vitest';
import { unifiedKeyProblem } from '../../../runtime/cgroups/limits.js';
import { limitsFromCri, podLimitsFromCri } from '../../../runtime/containers/cri-limits.js';
import { criResources } from './cri-resources.js';

describe('limitsFromCri', () => {
  it('leaves every limit out when the CRI resources are all zero (proto3 "not set")', () => {
    expect(limitsFromCri(criResources())).toEqual({});
  });

  it('maps every set CRI field onto berth limits', () => {
    const limits = limitsFromCri(
      criResources({
        cpuShares: '512',
        cpuQuota: '20000',
        cpuPeriod: '100000',
        cpusetCpus: '0-1',
        cpusetMems: '0',
        memoryLimitInBytes: '20971520',
        memorySwapLimitInBytes: '41943040',
        hugepageLimits: [{ pageSize: '2MB', limit: '4194304' }],
        unified: { 'memory.high': '10000000' },
      }),
      { pidsMax: 64 },
    );
    expect(limits).toEqual({
      cpuShares: 512,
      cpuQuotaUs: 20000,
      cpuPeriodUs: 100000,
      cpusetCpus: '0-1',
      cpusetMems: '0',
      memoryBytes: 20971520,
      memorySwapBytes: 41943040,
      pidsMax: 64,
      hugepages: [{ pageSize: '2MB', limitBytes: 4194304 }],
      unified: { 'memory.high': '10000000' },
    });
  });

  it('keeps -1 as unlimited for quota, swap and pids', () => {
    const limits = limitsFromCri(criResources({ cpuQuota: '-1', memoryLimitInBytes: '1048576', memorySwapLimitInBytes: '-1' }), { pidsMax: -1 });
    expect(limits).toEqual({ cpuQuotaUs: -1, memoryBytes: 1048576, memorySwapBytes: -1, pidsMax: -1 });
  });

  const refused: Array<[name: string, fields: Parameters<typeof criResources>[0], extra: { pidsMax?: number }, message: RegExp]> = [
    ['negative shares', { cpuShares: '-5' }, {}, /cpu_shares -5 must not be negative/],
    ['quota below -1', { cpuQuota: '-2' }, {}, /cpu_quota -2 is invalid/],
    ['quota under the kernel minimum', { cpuQuota: '999' }, {}, /below the kernel's minimum/],
    ['period under the kernel minimum', { cpuPeriod: '500' }, {}, /cpu_period 500 is outside/],
    ['period over one second', { cpuPeriod: '1000001' }, {}, /cpu_period 1000001 is outside/],
    ['hex text', { memoryLimitInBytes: '0x10' }, {}, /not a decimal integer/],
    ['a value a double cannot hold', { memoryLimitInBytes: '9223372036854775807' }, {}, /too large/],
    ['swap without a memory limit', { memorySwapLimitInBytes: '1048576' }, {}, /needs memory_limit_in_bytes/],
    ['swap below the memory limit', { memoryLimitInBytes: '2097152', memorySwapLimitInBytes: '1048576' }, {}, /counts memory plus swap/],
    ['a cpuset that is not a list', { cpusetCpus: '0;rm -rf /' }, {}, /not a cpu list/],
    ['a hugepage size with a path', { hugepageLimits: [{ pageSize: '../2MB', limit: '1' }] }, {}, /hugepage size/],
    ['a pids limit below -1', {}, { pidsMax: -7 }, /pids limit -7 is invalid/],
  ];
  it.each(refused)('refuses %s', (_name, fields, extra, message) => {
    expect(() => limitsFromCri(criResources(fields), extra)).toThrow(message);
  });
});

describe('unified keys', () => {
  const hostile: Array<[key: string, reason: RegExp]> = [
    ['../../memory.max', /not a path/],
    ['/sys/fs/cgroup/memory.max', /not a path/],
    ['memory.max/../x', /not a path/],
    ['..', /".."/],
    ['memory..max', /".."/],
    ['cgroup.procs', /belong to berth/],
    ['cgroup.subtree_control', /belong to berth/],
    ['cgroup.kill', /belong to berth/],
    ['', /not a cgroup v2 interface file/],
    ['.hidden', /not a cgroup v2 interface file/],
    ['memorymax', /not a cgroup v2 interface file/],
    ['memory.max\0', /not a path/],
  ];
  it.each(hostile)('refuses "%s"', (key, reason) => {
    expect(unifiedKeyProblem(key)).toMatch(reason);
    expect(() => limitsFromCri(criResources({ unified: { [key]: '1' } }))).toThrow(/unified resource/);
  });

  it.each(['memory.high', 'memory.min', 'cpu.idle', 'io.weight', 'hugetlb.2MB.rsvd.max'])('accepts "%s"', (key) => {
    expect(unifiedKeyProblem(key)).toBeUndefined();
  });

  it('refuses a value with a NUL byte', () => {
    expect(() => limitsFromCri(criResources({ unified: { 'memory.high': '1\0' } }))).toThrow(/NUL/);
  });
});

describe('pod limits', () => {
  const mib = 1 << 20;

  it('adds the pod overhead to the containers sum', () => {
    const limits = podLimitsFromCri({
      resources: criResources({ cpuShares: '512', cpuQuota: '50000', cpuPeriod: '100000', memoryLimitInBytes: String(128 * mib) }),
      overhead: criResources({ cpuShares: '102', cpuQuota: '10000', cpuPeriod: '100000', memoryLimitInBytes: String(32 * mib) }),
    });
    expect(limits).toEqual({ cpuShares: 614, cpuQuotaUs: 60000, cpuPeriodUs: 100000, memoryBytes: 160 * mib });
  });

  it('rescales the overhead quota to the period of the sum', () => {
    const limits = podLimitsFromCri({
      resources: criResources({ cpuQuota: '25000', cpuPeriod: '50000' }),
      overhead: criResources({ cpuQuota: '10000', cpuPeriod: '100000' }),
    });
    expect(limits).toMatchObject({ cpuQuotaUs: 30000, cpuPeriodUs: 50000 });
  });

  it('keeps a limit unset when some container is unlimited, overhead or not', () => {
    const limits = podLimitsFromCri({
      resources: criResources({ cpuShares: '256' }),
      overhead: criResources({ cpuQuota: '10000', memoryLimitInBytes: String(32 * mib) }),
    });
    expect(limits).toEqual({ cpuShares: 256 });
  });

  it('carries the pod pids limit even without resources', () => {
    expect(podLimitsFromCri({ resources: null, overhead: null }, { pidsMax: 1024 })).toEqual({ pidsMax: 1024 });
    expect(podLimitsFromCri({ resources: null, overhead: null })).toEqual({});
  });
});
