// Limits → cgroup v2 interface files, as [file, value] pairs in the order they must be written.
// Pure, so the same pairs drive the real writer (v2.ts) and the scripts the v2 guest tests run.
import { InvalidArgumentError } from '../../common/errors.js';
import { checkSwap, hugepageSizePattern, checkUnified, type Limits } from './limits.js';

export type V2FileWrite = readonly [file: string, value: string];

export const minCpuShares = 2;
export const maxCpuShares = 262_144;
export const maxCpuWeight = 10_000;

/**
 * cpu.shares → cpu.weight, the conversion runc, crun and the kubelet agree on: it maps the v1
 * range [2, 262144] linearly onto the v2 range [1, 10000], so 1024 (one CPU) becomes 39.
 */
export function cpuSharesToWeight(shares: number): number {
  const clamped = Math.min(maxCpuShares, Math.max(minCpuShares, Math.trunc(shares)));
  return 1 + Math.floor(((clamped - 2) * 9_999) / 262_142);
}

/**
 * cpu.max holds "QUOTA PERIOD" in one file; QUOTA is required, so a period alone is written as
 * "max PERIOD" (as runc does) and a quota alone keeps the kernel's period.
 */
export function cpuMaxValue(quotaUs: number | undefined, periodUs: number | undefined): string | undefined {
  if (quotaUs === undefined && periodUs === undefined) return undefined;
  const quota = quotaUs === undefined || quotaUs === -1 ? 'max' : String(quotaUs);
  return periodUs === undefined ? quota : `${quota} ${periodUs}`;
}

/**
 * CRI's swap limit counts memory plus swap; v2's memory.swap.max counts swap alone. -1 (unlimited)
 * is "max"; a swap limit equal to the memory limit is 0: no swap at all.
 */
export function swapMaxValue(memoryBytes: number | undefined, memorySwapBytes: number): string {
  checkSwap(memoryBytes, memorySwapBytes);
  if (memorySwapBytes === -1) return 'max';
  return String(memorySwapBytes - (memoryBytes ?? 0));
}

export function limitsToV2Files(limits: Limits): V2FileWrite[] {
  const writes: V2FileWrite[] = [];
  // cpuset first: the kernel checks later cpu settings against the cpus the cgroup may use.
  if (limits.cpusetCpus !== undefined) writes.push(['cpuset.cpus', limits.cpusetCpus]);
  if (limits.cpusetMems !== undefined) writes.push(['cpuset.mems', limits.cpusetMems]);
  if (limits.cpuShares !== undefined) writes.push(['cpu.weight', String(cpuSharesToWeight(limits.cpuShares))]);
  const cpuMax = cpuMaxValue(limits.cpuQuotaUs, limits.cpuPeriodUs);
  if (cpuMax !== undefined) writes.push(['cpu.max', cpuMax]);
  if (limits.memoryBytes !== undefined) writes.push(['memory.max', String(limits.memoryBytes)]);
  if (limits.memorySwapBytes !== undefined) writes.push(['memory.swap.max', swapMaxValue(limits.memoryBytes, limits.memorySwapBytes)]);
  if (limits.pidsMax !== undefined) writes.push(['pids.max', limits.pidsMax === -1 ? 'max' : String(limits.pidsMax)]);
  for (const { pageSize, limitBytes } of limits.hugepages ?? []) {
    if (!hugepageSizePattern.test(pageSize)) throw new InvalidArgumentError(`hugepage size "${pageSize}" is invalid: write it like 2MB`);
    writes.push([`hugetlb.${pageSize}.max`, String(limitBytes)]);
  }
  for (const [file, value] of Object.entries(checkUnified(limits.unified ?? {}))) writes.push([file, value]);
  return writes;
}

/** The v2 limit files berth may have written and the kernel's value for "no limit" (weight: its default). */
export const v2NoLimits: readonly V2FileWrite[] = [
  ['cpu.max', 'max'],
  ['cpu.weight', '100'],
  ['memory.swap.max', 'max'],
  ['memory.max', 'max'],
  ['pids.max', 'max'],
];

/** Whether a v2 limit file's text already says what `noLimit` asks (cpu.max keeps its period: "max 100000"). */
export function v2AtNoLimit(file: string, current: string, noLimit: string): boolean {
  const text = current.trim();
  return file === 'cpu.max' ? text.split(' ')[0] === noLimit : text === noLimit;
}
