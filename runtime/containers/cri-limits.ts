// CRI LinuxContainerResources → berth's cgroup Limits: the translation lives here, beside the
// containers and sandboxes that receive CRI requests, so the cgroup library knows nothing of the
// CRI. CRI int64 fields arrive as decimal strings and 0 means "not set" (proto3 has no absent
// int64), so zeros become absent fields and the kernel defaults stay.
import { InvalidArgumentError } from '../../common/errors.js';
import type { LinuxContainerResources__Output } from '../../api/cri/messages.js';
import { checkCpuList, checkSwap, checkUnified, hugepageSizePattern, maxCfsPeriodUs, minCfsUs, withPodOverhead, type Limits } from '../cgroups/limits.js';
import { parseCriInt } from '../oci/spec/decimal.js';

function nonNegative(text: string, what: string): number {
  const value = parseCriInt(text, what);
  if (value < 0) throw new InvalidArgumentError(`${what} ${value} must not be negative (0 means not set)`);
  return value;
}

function limitOrUnlimited(text: string, what: string): number {
  const value = parseCriInt(text, what);
  if (value < -1) throw new InvalidArgumentError(`${what} ${value} is invalid: use a positive value, or -1 for unlimited`);
  return value;
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

/** The pod cgroup's limits from the sandbox config: the containers' sum plus the pod overhead. */
export function podLimitsFromCri(pod: PodResourcesFromCri, extra: ExtraLimits = {}): Limits {
  const sum = limitsFromCri(pod.resources ?? noResources(), extra);
  return withPodOverhead(sum, pod.overhead ? limitsFromCri(pod.overhead) : {});
}

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
