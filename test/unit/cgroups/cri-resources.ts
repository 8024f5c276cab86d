import type { LinuxContainerResources__Output } from '../../../api/cri/messages.js';

/** A decoded CRI LinuxContainerResources with every field at its proto3 default, then `fields`. */
export function criResources(fields: Partial<LinuxContainerResources__Output> = {}): LinuxContainerResources__Output {
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
    ...fields,
  };
}
