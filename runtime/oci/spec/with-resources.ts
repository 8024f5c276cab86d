// linux.resources from the CRI LinuxContainerResources: the cgroup limits runc applies.
// Zero means "not set" in CRI (proto3 has no absent int64), so zeros are left out, and runc keeps
// the kernel defaults for them.
import type { LinuxContainerResources__Output } from '../../../api/cri/messages.js';
import { FailedPreconditionError, InvalidArgumentError } from '../../../common/errors.js';
import { parseCriInt } from './decimal.js';
import type { LinuxCpu, LinuxHugepageLimit, LinuxMemory, LinuxResources } from './runtime-spec.js';
import type { SpecOption } from './spec-context.js';

function nonNegative(text: string, what: string): number {
  const value = parseCriInt(text, what);
  if (value < 0) throw new InvalidArgumentError(`${what} ${value} must not be negative`);
  return value;
}

/** -1 is the kernel's "unlimited"; other negatives mean nothing. */
function limitOrUnlimited(text: string, what: string): number {
  const value = parseCriInt(text, what);
  if (value < -1) throw new InvalidArgumentError(`${what} ${value} is invalid: use a positive value, or -1 for unlimited`);
  return value;
}

export function cpuResources(r: LinuxContainerResources__Output): LinuxCpu | undefined {
  const cpu: LinuxCpu = {};
  const shares = nonNegative(r.cpuShares, 'cpu_shares');
  const quota = limitOrUnlimited(r.cpuQuota, 'cpu_quota');
  const period = nonNegative(r.cpuPeriod, 'cpu_period');
  if (shares !== 0) cpu.shares = shares;
  if (quota !== 0) cpu.quota = quota;
  if (period !== 0) cpu.period = period;
  if (r.cpusetCpus !== '') cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems !== '') cpu.mems = r.cpusetMems;
  return Object.keys(cpu).length > 0 ? cpu : undefined;
}

/**
 * Without an explicit swap limit, swap is capped at the memory limit (memory+swap == memory), so
 * a container cannot escape its limit into swap; hosts without swap accounting get no swap
 * setting at all, because runc fails writing memory.memsw.* where it does not exist.
 */
export function memoryResources(r: LinuxContainerResources__Output, swapLimitSupported: boolean, warnings: string[]): LinuxMemory | undefined {
  const limit = nonNegative(r.memoryLimitInBytes, 'memory_limit_in_bytes');
  const swap = limitOrUnlimited(r.memorySwapLimitInBytes, 'memory_swap_limit_in_bytes');
  if (limit === 0) {
    if (swap !== 0) warnings.push('memory_swap_limit_in_bytes ignored: it needs a memory limit');
    return undefined;
  }
  if (!swapLimitSupported) {
    if (swap !== 0) warnings.push('memory_swap_limit_in_bytes ignored: this host has no swap accounting');
    return { limit };
  }
  if (swap !== 0 && swap !== -1 && swap < limit) {
    throw new InvalidArgumentError(`memory_swap_limit_in_bytes ${swap} is below memory_limit_in_bytes ${limit}: it counts memory plus swap`);
  }
  return { limit, swap: swap === 0 ? limit : swap };
}

const unifiedKeyPattern = /^[a-z0-9_]+\.[a-z0-9_.]+$/;

const pageSizePattern = /^[1-9][0-9]*(KB|MB|GB|TB|PB)$/;

/**
 * The hugepage limits, checked; none where the OCI runtime cannot apply them (`unusable` says why:
 * the upstream kubelet sends one per page size of the host, even 0, so keeping them would fail
 * every container there). The reason is logged once at start, not per container.
 */
export function hugepageResources(r: LinuxContainerResources__Output, unusable?: string): LinuxHugepageLimit[] | undefined {
  if (r.hugepageLimits.length === 0) return undefined;
  const limits = r.hugepageLimits.map(({ pageSize, limit }) => {
    if (!pageSizePattern.test(pageSize)) {
      throw new InvalidArgumentError(`hugepage size "${pageSize}" is invalid: write it like 2MB or 1GB`);
    }
    return { pageSize, limit: nonNegative(limit, `hugepage ${pageSize} limit`) };
  });
  return unusable === undefined ? limits : undefined;
}

export const withResources: SpecOption = (spec, { input, warnings }) => {
  const resources: LinuxResources = spec.linux.resources ?? {};
  const requested = input.config.linux?.resources;
  if (requested) {
    const cpu = cpuResources(requested);
    const memory = memoryResources(requested, input.host.swapLimitSupported, warnings);
    const hugepageLimits = hugepageResources(requested, input.host.hugetlbUnusable);
    if (cpu) resources.cpu = cpu;
    if (memory) resources.memory = memory;
    if (hugepageLimits) resources.hugepageLimits = hugepageLimits;
    if (Object.keys(requested.unified).length > 0) {
      if (!input.host.cgroupV2) {
        throw new FailedPreconditionError('unified (cgroup v2) resources were requested but this node runs cgroup v1');
      }
      for (const key of Object.keys(requested.unified)) {
        // runc writes each key as a file in the container's cgroup dir: no paths, no dot-files.
        if (!unifiedKeyPattern.test(key)) {
          throw new InvalidArgumentError(`unified resource "${key}" is not a cgroup v2 interface file name like memory.high`);
        }
      }
      resources.unified = { ...requested.unified };
    }
  }
  const pidsLimit = input.sandbox.pidsLimit;
  if (pidsLimit !== undefined && pidsLimit > 0) resources.pids = { limit: pidsLimit };
  spec.linux.resources = resources;
};
