// Limits → cgroup v1 files, as [controller, file, value] triples in the order they must be
// written. Pure; v1.ts resolves each controller to its hierarchy directory.
import { FailedPreconditionError, InvalidArgumentError } from '../../common/errors.js';
import { checkSwap, hugepageSizePattern, type Limits } from './limits.js';
import { maxCpuShares, minCpuShares } from './v2-files.js';

export type V1Controller = 'cpu' | 'cpuset' | 'memory' | 'pids' | 'hugetlb';

export type V1FileWrite = readonly [controller: V1Controller, file: string, value: string];

export interface V1Host {
  /** memory.memsw.* exists (swapaccount=1): only then can swap be limited. */
  swapAccounting: boolean;
  /** A v1 hugetlb hierarchy is mounted (on these hybrid hosts hugetlb lives in cgroup2 only). */
  hugetlb: boolean;
}

export function limitsToV1Files(limits: Limits, host: V1Host, warnings: string[] = []): V1FileWrite[] {
  if (limits.unified !== undefined && Object.keys(limits.unified).length > 0) {
    throw new FailedPreconditionError('unified (cgroup v2) resources were requested but this node runs cgroup v1: drop them or use a cgroup v2 node');
  }
  const writes: V1FileWrite[] = [];
  if (limits.cpusetCpus !== undefined) writes.push(['cpuset', 'cpuset.cpus', limits.cpusetCpus]);
  if (limits.cpusetMems !== undefined) writes.push(['cpuset', 'cpuset.mems', limits.cpusetMems]);
  if (limits.cpuShares !== undefined) {
    const shares = Math.min(maxCpuShares, Math.max(minCpuShares, Math.trunc(limits.cpuShares)));
    writes.push(['cpu', 'cpu.shares', String(shares)]);
  }
  // The period first: the kernel checks a quota against the period in force.
  if (limits.cpuPeriodUs !== undefined) writes.push(['cpu', 'cpu.cfs_period_us', String(limits.cpuPeriodUs)]);
  if (limits.cpuQuotaUs !== undefined) writes.push(['cpu', 'cpu.cfs_quota_us', String(limits.cpuQuotaUs)]);
  if (limits.memoryBytes !== undefined) writes.push(['memory', 'memory.limit_in_bytes', String(limits.memoryBytes)]);
  if (limits.memorySwapBytes !== undefined) {
    checkSwap(limits.memoryBytes, limits.memorySwapBytes);
    if (host.swapAccounting) writes.push(['memory', 'memory.memsw.limit_in_bytes', String(limits.memorySwapBytes)]);
    else warnings.push('memory swap limit not applied: this kernel has no swap accounting (memory.memsw.*)');
  }
  if (limits.pidsMax !== undefined) writes.push(['pids', 'pids.max', limits.pidsMax === -1 ? 'max' : String(limits.pidsMax)]);
  if (limits.hugepages !== undefined && limits.hugepages.length > 0) {
    if (!host.hugetlb) {
      throw new FailedPreconditionError(
        'hugepage limits need the cgroup v1 hugetlb controller, which this host does not mount ' + '(hybrid hosts keep it in cgroup2 only): drop the hugepage limits or use a cgroup v2 node',
      );
    }
    for (const { pageSize, limitBytes } of limits.hugepages) {
      if (!hugepageSizePattern.test(pageSize)) throw new InvalidArgumentError(`hugepage size "${pageSize}" is invalid: write it like 2MB`);
      writes.push(['hugetlb', `hugetlb.${pageSize}.limit_in_bytes`, String(limitBytes)]);
    }
  }
  return writes;
}

/**
 * v1 keeps memory.limit_in_bytes <= memory.memsw.limit_in_bytes at every moment and refuses a
 * write that would break it. When the new memory limit is above the memsw limit in force (a
 * raise), memsw must be written first; otherwise the memory limit first.
 */
export function orderV1MemoryWrites(writes: readonly V1FileWrite[], currentMemswBytes: number): V1FileWrite[] {
  const limit = writes.find(([, file]) => file === 'memory.limit_in_bytes');
  const memsw = writes.find(([, file]) => file === 'memory.memsw.limit_in_bytes');
  if (!limit || !memsw || Number(limit[2]) <= currentMemswBytes) return [...writes];
  const rest = writes.filter((w) => w !== limit && w !== memsw);
  const at = writes.indexOf(limit);
  return [...rest.slice(0, at), memsw, limit, ...rest.slice(at)];
}

/**
 * The v1 limit files berth may have written and the kernel's value for "no limit", in the order
 * that restores them on a live cgroup: memsw before the memory limit (a raise), see above.
 */
export const v1NoLimits: readonly V1FileWrite[] = [
  ['cpu', 'cpu.cfs_quota_us', '-1'],
  ['cpu', 'cpu.shares', '1024'],
  ['memory', 'memory.memsw.limit_in_bytes', '-1'],
  ['memory', 'memory.limit_in_bytes', '-1'],
  ['pids', 'pids.max', 'max'],
];

/** Whether a v1 limit file's text already says what `noLimit` asks (memory reads back as a huge page-rounded number). */
export function v1AtNoLimit(file: string, current: string, noLimit: string): boolean {
  const text = current.trim();
  if (file.startsWith('memory.') && noLimit === '-1') return /^[0-9]+$/.test(text) && BigInt(text) >= 2n ** 62n;
  return text === noLimit;
}
