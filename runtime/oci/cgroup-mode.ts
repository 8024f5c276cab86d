// Which cgroup layout the host has, read from the filesystem types under the cgroup root.
// "v2": the root itself is cgroup2 with controllers (what real nodes run); "hybrid": v1
// controller hierarchies plus a cgroup2 mount at <root>/unified (these development machines);
// "v1": controller hierarchies only. The root is a parameter so tests can point it elsewhere.
import { access, statfs } from 'node:fs/promises';
import { join } from 'node:path';

export type CgroupMode = 'v2' | 'hybrid' | 'v1';

/** statfs f_type of a cgroup2 mount (linux/magic.h). */
export const cgroup2SuperMagic = 0x63677270;

export interface CgroupFacts {
  /** Filesystem type (statfs f_type) of the cgroup root, or undefined when it cannot be read. */
  rootType: number | undefined;
  /** Whether <root>/cgroup.controllers exists. */
  rootHasControllersFile: boolean;
  /** Filesystem type of <root>/unified, or undefined when absent. */
  unifiedType: number | undefined;
}

/** Pure: the mode these facts describe. */
export function cgroupModeOf(facts: CgroupFacts): CgroupMode {
  if (facts.rootType === cgroup2SuperMagic && facts.rootHasControllersFile) return 'v2';
  if (facts.unifiedType === cgroup2SuperMagic) return 'hybrid';
  return 'v1';
}

async function fsType(path: string): Promise<number | undefined> {
  try {
    return (await statfs(path)).type;
  } catch {
    return undefined;
  }
}

export async function readCgroupFacts(root = '/sys/fs/cgroup'): Promise<CgroupFacts> {
  const [rootType, unifiedType, rootHasControllersFile] = await Promise.all([
    fsType(root),
    fsType(join(root, 'unified')),
    access(join(root, 'cgroup.controllers')).then(
      () => true,
      () => false,
    ),
  ]);
  return { rootType, rootHasControllersFile, unifiedType };
}

export async function detectCgroupMode(root = '/sys/fs/cgroup'): Promise<CgroupMode> {
  return cgroupModeOf(await readCgroupFacts(root));
}
