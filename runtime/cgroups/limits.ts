// berth's cgroup limits, and their mapping from CRI LinuxContainerResources. Pure: no I/O.
// CRI int64 fields arrive as decimal strings and 0 means "not set" (proto3 has no absent int64),
// so zeros become absent fields and the kernel defaults stay. v2-files.ts and v1-files.ts turn
// Limits into the files each cgroup version has.
import type { LinuxContainerResources__Output } from '../../cri/api/messages.js';
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

const signedDecimal = /^-?[0-9]+$/;

/** A CRI int64 as a number; refuses what a double cannot hold exactly, so no limit is rounded. */
function criInt(text: string, what: string): number {
  if (text === '') return 0;
  if (!signedDecimal.test(text)) throw new InvalidArgumentError(`${what} "${text}" is not a decimal integer`);
  const value = BigInt(text);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new InvalidArgumentError(`${what} ${text} is too large: berth accepts up to ${Number.MAX_SAFE_INTEGER}`);
  }
  return Number(value);
}

function nonNegative(text: string, what: string): number {
  const value = criInt(text, what);
  if (value < 0) throw new InvalidArgumentError(`${what} ${value} must not be negative (0 means not set)`);
  return value;
}

function limitOrUnlimited(text: string, what: string): number {
  const value = criInt(text, what);
  if (value < -1) throw new InvalidArgumentError(`${what} ${value} is invalid: use a positive value, or -1 for unlimited`);
  return value;
}

const cpuList = /^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$/;
/** Hugepage sizes as the kernel's hugetlb file names spell them; nothing else reaches a file name. */
export const hugepageSizePattern = /^[1-9][0-9]*(KB|MB|GB)$/;

function checkCpuList(list: string, what: string): string {
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
    throw new InvalidArgumentError(
      `memory_swap_limit_in_bytes ${memorySwapBytes} is below memory_limit_in_bytes ${memoryBytes}: it counts memory plus swap`,
    );
  }
}

export interface ExtraLimits {
  /** The pod's pids limit (kubelet podPidsLimit); absent or 0: not set. */
  pidsMax?: number;
}

/** CRI LinuxContainerResources (a container's, or a pod's overhead/resources) → Limits. */
export function limitsFromCri(resources: LinuxContainerResources__Output, extra: ExtraLimits = {}): Limits {
  const limits: Limits = {};
  const shares = nonNegative(resources.cpuShares, 'cpu_shares');
  const quota = limitOrUnlimited(resources.cpuQuota, 'cpu_quota');
  const period = nonNegative(resources.cpuPeriod, 'cpu_period');
  if (shares !== 0) limits.cpuShares = shares;
  if (quota !== 0) {
    if (quota !== -1 && quota < minCfsUs) {
      throw new InvalidArgumentError(`cpu_quota ${quota} is below the kernel's minimum of ${minCfsUs} µs`);
    }
    limits.cpuQuotaUs = quota;
  }
  if (period !== 0) {
    if (period < minCfsUs || period > maxCfsPeriodUs) {
      throw new InvalidArgumentError(`cpu_period ${period} is outside the kernel's range ${minCfsUs}..${maxCfsPeriodUs} µs`);
    }
    limits.cpuPeriodUs = period;
  }
  if (resources.cpusetCpus !== '') limits.cpusetCpus = checkCpuList(resources.cpusetCpus, 'cpuset_cpus');
  if (resources.cpusetMems !== '') limits.cpusetMems = checkCpuList(resources.cpusetMems, 'cpuset_mems');

  const memory = nonNegative(resources.memoryLimitInBytes, 'memory_limit_in_bytes');
  const swap = limitOrUnlimited(resources.memorySwapLimitInBytes, 'memory_swap_limit_in_bytes');
  if (memory !== 0) limits.memoryBytes = memory;
  if (swap !== 0) {
    checkSwap(limits.memoryBytes, swap);
    limits.memorySwapBytes = swap;
  }

  if (extra.pidsMax !== undefined && extra.pidsMax !== 0) {
    if (extra.pidsMax < -1 || !Number.isSafeInteger(extra.pidsMax)) {
      throw new InvalidArgumentError(`pids limit ${extra.pidsMax} is invalid: use a positive value, or -1 for unlimited`);
    }
    limits.pidsMax = extra.pidsMax;
  }

  if (resources.hugepageLimits.length > 0) {
    limits.hugepages = resources.hugepageLimits.map(({ pageSize, limit }) => {
      if (!hugepageSizePattern.test(pageSize)) {
        throw new InvalidArgumentError(`hugepage size "${pageSize}" is invalid: write it like 2MB or 1GB`);
      }
      return { pageSize, limitBytes: nonNegative(limit, `hugepage ${pageSize} limit`) };
    });
  }
  if (Object.keys(resources.unified).length > 0) limits.unified = checkUnified(resources.unified);
  return limits;
}

export interface PodResourcesFromCri {
  /** The kubelet's sum over the pod's containers (LinuxPodSandboxConfig.resources). */
  resources: LinuxContainerResources__Output | null;
  /** The RuntimeClass's pod overhead (LinuxPodSandboxConfig.overhead). */
  overhead: LinuxContainerResources__Output | null;
}

/**
 * The pod cgroup's limits: the containers' sum plus the pod overhead, as the kubelet sizes pod
 * cgroups. A limit the sum leaves unset (some container is unlimited) stays unset: overhead on
 * top of "unlimited" is still unlimited. The overhead's quota is rescaled to the sum's period.
 */
export function podLimitsFromCri(pod: PodResourcesFromCri, extra: ExtraLimits = {}): Limits {
  const sum = limitsFromCri(pod.resources ?? noResources(), extra);
  const overhead = pod.overhead ? limitsFromCri(pod.overhead) : {};
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

/** The kernel's CFS period when none is written. */
export const defaultCfsPeriodUs = 100_000;

/** CRI resources with nothing set (what proto3 decodes an absent message's fields to). */
function noResources(): LinuxContainerResources__Output {
  return {
    cpuPeriod: '0',
    cpuQuota: '0',
    cpuShares: '0',
    memoryLimitInBytes: '0',
    oomScoreAdj: '0',
    cpusetCpus: '',
    cpusetMems: '',
    hugepageLimits: [],
    unified: {},
    memorySwapLimitInBytes: '0',
  };
}
