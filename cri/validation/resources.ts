// LinuxContainerResources as a request carries them (CreateContainer, UpdateContainerResources,
// the pod's resources and overhead): refused here with the field named, before any cgroup is
// touched, rather than as a kernel EINVAL or a container that dies during runc's own start.
import { readdir } from 'node:fs/promises';
import type { LinuxContainerResources__Output } from '../../api/cri/messages.js';
import { InvalidArgumentError, errorMessage } from '../../common/errors.js';
import { limitsFromCri } from '../../runtime/containers/cri-limits.js';
import { maxCpuShares } from '../../runtime/cgroups/v2-files.js';
import { maxOomScoreAdj, minOomScoreAdj } from '../../runtime/cgroups/oom-score.js';
import { quoted } from './fields.js';

/**
 * Below this, runc's own init process is OOM-killed before the container's first instruction and
 * the create fails with the kernel's words, not ours (Docker refuses under 6 MB for this reason).
 */
export const minMemoryLimitBytes = 6 * 1024 * 1024;

/** The page sizes this host has (hugepages-2048kB → 2MB), read once from sysfs. */
export class HugepageSizes {
  private sizes: Promise<Set<string>> | undefined;

  constructor(private readonly sysfsDir = '/sys/kernel/mm/hugepages') {}

  get(): Promise<Set<string>> {
    this.sizes ??= readdir(this.sysfsDir).then(
      (entries) => new Set(entries.map(pageSizeName).filter((s): s is string => s !== undefined)),
      () => new Set<string>(),
    );
    return this.sizes;
  }
}

/** hugepages-1048576kB → 1GB, as the hugetlb cgroup files name sizes. */
function pageSizeName(entry: string): string | undefined {
  const kib = /^hugepages-([0-9]+)kB$/.exec(entry)?.[1];
  if (!kib) return undefined;
  const value = Number(kib);
  if (value % (1024 * 1024) === 0) return `${value / (1024 * 1024)}GB`;
  if (value % 1024 === 0) return `${value / 1024}MB`;
  return `${value}KB`;
}

export interface ResourceRules {
  /** A pod's overhead is added to the containers' sum, so it has no minimum of its own. */
  overhead?: boolean;
  hugepageSizes: HugepageSizes;
}

export async function checkResources(field: string, resources: LinuxContainerResources__Output | null, rules: ResourceRules): Promise<void> {
  if (!resources) return;
  try {
    limitsFromCri(resources);
  } catch (error) {
    throw new InvalidArgumentError(`${field}: ${errorMessage(error)}`, { cause: error });
  }
  // limitsFromCri has refused what is not a safe integer, so these conversions are exact.
  const shares = Number(resources.cpuShares);
  if (shares > maxCpuShares) throw new InvalidArgumentError(`${field}.cpu_shares ${shares} is above the kernel's maximum of ${maxCpuShares}`);
  const memory = Number(resources.memoryLimitInBytes);
  if (!rules.overhead && memory > 0 && memory < minMemoryLimitBytes) {
    throw new InvalidArgumentError(`${field}.memory_limit_in_bytes ${memory} is below berth's minimum of ${minMemoryLimitBytes} bytes (6 MiB): the container could not even start`);
  }
  const oomScoreAdj = resources.oomScoreAdj === '' ? 0 : Number(resources.oomScoreAdj);
  if (!Number.isInteger(oomScoreAdj) || oomScoreAdj < minOomScoreAdj || oomScoreAdj > maxOomScoreAdj) {
    throw new InvalidArgumentError(`${field}.oom_score_adj ${quoted(resources.oomScoreAdj)} is outside ${minOomScoreAdj}..${maxOomScoreAdj}`);
  }
  if (resources.hugepageLimits.length === 0) return;
  const available = await rules.hugepageSizes.get();
  const seen = new Set<string>();
  for (const [index, { pageSize }] of resources.hugepageLimits.entries()) {
    const name = `${field}.hugepage_limits[${index}].page_size`;
    if (seen.has(pageSize)) throw new InvalidArgumentError(`${name} ${quoted(pageSize)} is given twice`);
    seen.add(pageSize);
    if (!available.has(pageSize)) {
      throw new InvalidArgumentError(`${name} ${quoted(pageSize)} is not a huge page size of this host (it has ${[...available].join(', ') || 'none'})`);
    }
  }
}
