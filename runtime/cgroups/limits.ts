// berth's cgroup limits and the checks every limit passes whoever asks for it. Pure: no I/O, and
// nothing of the CRI (runtime/containers/cri-limits.ts translates CRI resources into these).
// v2-files.ts and v1-files.ts turn Limits into the files each cgroup version has.
import { InvalidArgumentError } from '../../common/errors.js';

export interface HugepageLimit {
  /** As the kernel names it in hugetlb files: "2MB", "1GB", "64KB". */
  pageSize: string;
  limitBytes: number;
}

export interface Limits {
  /** cgroup v1 cpu.shares units (2..262144); v2 converts them to cpu.weight. */
  cpuShares?: number;
  /** CFS quota per period in microseconds; -1 for unlimited. */
  cpuQuotaUs?: number;
  cpuPeriodUs?: number;
  /** cpuset lists like "0-1,3". */
  cpusetCpus?: string;
  cpusetMems?: string;
  memoryBytes?: number;
  /** Memory PLUS swap (CRI and Docker semantics); -1 for unlimited swap. */
  memorySwapBytes?: number;
  /** -1 for unlimited. CRI has no such field: the pod's pids limit comes from node config. */
  pidsMax?: number;
  hugepages?: HugepageLimit[];
  /** cgroup v2 interface files written verbatim, after everything else (they win). */
  unified?: Record<string, string>;
}

/** The kernel refuses CFS quotas and periods outside these bounds (kernel/sched/core.c). */
export const minCfsUs = 1_000;
export const maxCfsPeriodUs = 1_000_000;

const cpuList = /^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$/;
/** Hugepage sizes as the kernel's hugetlb file names spell them; nothing else reaches a file name. */
export const hugepageSizePattern = /^[1-9][0-9]*(KB|MB|GB)$/;

/** A cpuset list as given, or an error naming `what` when it is not one. */
export function checkCpuList(list: string, what: string): string {
  if (!cpuList.test(list)) throw new InvalidArgumentError(`${what} "${list}" is not a cpu list like "0-3,6"`);
  return list;
}

/**
 * Why a unified (cgroup v2) key is refused, or undefined when it is acceptable. Each key becomes
 * a file name in the container's cgroup directory, so a path in it would write elsewhere; the
 * cgroup.* files move processes or reshape the tree, which berth owns.
 */
export function unifiedKeyProblem(key: string): string | undefined {
  if (key.includes('/') || key.includes('\0')) return 'must be a file name, not a path';
  if (key === '.' || key === '..' || key.includes('..')) return 'must not contain ".."';
  if (key.startsWith('cgroup.')) return 'cgroup.* files belong to berth (they move processes or change the tree)';
  if (!/^[a-z][a-z0-9_]*\.[A-Za-z0-9_.]+$/.test(key)) return 'is not a cgroup v2 interface file name like memory.high';
  return undefined;
}

export function checkUnified(unified: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(unified)) {
    const problem = unifiedKeyProblem(key);
    if (problem) throw new InvalidArgumentError(`unified resource "${key}" ${problem}`);
    if (value.includes('\0')) throw new InvalidArgumentError(`unified resource "${key}" has a NUL byte in its value`);
  }
  return { ...unified };
}

/** Swap needs a memory limit to be relative to, and counts memory plus swap. */
export function checkSwap(memoryBytes: number | undefined, memorySwapBytes: number): void {
  if (memorySwapBytes === -1) return;
  if (memoryBytes === undefined) {
    throw new InvalidArgumentError('memory_swap_limit_in_bytes needs memory_limit_in_bytes: the swap limit counts memory plus swap');
  }
  if (memorySwapBytes < memoryBytes) {
    throw new InvalidArgumentError(`memory_swap_limit_in_bytes ${memorySwapBytes} is below memory_limit_in_bytes ${memoryBytes}: it counts memory plus swap`);
  }
}

/** The kernel's CFS period when none is written. */
export const defaultCfsPeriodUs = 100_000;

/**
 * The pod cgroup's limits: the containers' sum plus the pod overhead, as the kubelet sizes pod
 * cgroups. A limit the sum leaves unset (some container is unlimited) stays unset: overhead on
 * top of "unlimited" is still unlimited. The overhead's quota is rescaled to the sum's period.
 */
export function withPodOverhead(sum: Limits, overhead: Limits): Limits {
  const limits: Limits = { ...sum };
  if (sum.cpuShares !== undefined || overhead.cpuShares !== undefined) limits.cpuShares = (sum.cpuShares ?? 0) + (overhead.cpuShares ?? 0);
  if (sum.cpuQuotaUs !== undefined && sum.cpuQuotaUs > 0 && overhead.cpuQuotaUs !== undefined && overhead.cpuQuotaUs > 0) {
    const period = sum.cpuPeriodUs ?? defaultCfsPeriodUs;
    const overheadPeriod = overhead.cpuPeriodUs ?? defaultCfsPeriodUs;
    limits.cpuQuotaUs = sum.cpuQuotaUs + Math.ceil((overhead.cpuQuotaUs * period) / overheadPeriod);
  }
  if (sum.memoryBytes !== undefined && overhead.memoryBytes !== undefined) {
    limits.memoryBytes = sum.memoryBytes + overhead.memoryBytes;
    if (sum.memorySwapBytes !== undefined && sum.memorySwapBytes !== -1) {
      limits.memorySwapBytes = sum.memorySwapBytes + overhead.memoryBytes;
    }
  }
  return limits;
}
