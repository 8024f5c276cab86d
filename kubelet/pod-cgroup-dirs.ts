// Removes a pod's cgroup once the runtime has removed its sandboxes. berth's runtime removes the
// pod's own cgroup itself; runc under containerd creates the parent it is given and never removes
// it, so without this every pod would leave an empty pod<uid> cgroup behind (the upstream kubelet
// removes its pod cgroups the same way). Only empty directories go: rmdir, never recursive, and a
// cgroup that still holds something stays.
import { access, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LinuxContainerResources } from '../api/cri/messages.js';
import type { Logger } from '../common/logger.js';

export interface PodCgroupCleaner {
  /**
   * Makes the pod's cgroup with its limits before its sandbox (the systemd driver: the pod slice);
   * absent: the runtime makes it from the sandbox config (cgroupfs).
   */
  ensure?(parent: string, resources: LinuxContainerResources | undefined): Promise<void>;
  /** Removes the cgroup `path` (as the kubelet sends it: absolute, from the hierarchy root) where it is empty. */
  remove(path: string): Promise<void>;
}

const gone = new Set(['ENOENT', 'EBUSY', 'ENOTEMPTY']);

export function cgroupfsPodCleaner(logger: Logger, root = '/sys/fs/cgroup'): PodCgroupCleaner {
  const hierarchies = async (): Promise<string[]> => {
    // Pure v2: one hierarchy at the root. v1/hybrid: one directory per mounted hierarchy (the
    // cpu → cpu,cpuacct symlinks would name a hierarchy twice).
    if (
      await access(join(root, 'cgroup.controllers')).then(
        () => true,
        () => false,
      )
    )
      return [root];
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    return entries.filter((entry) => entry.isDirectory()).map((entry) => join(root, entry.name));
  };
  return {
    async remove(path) {
      if (!path.startsWith('/') || path.split('/').includes('..')) return;
      for (const hierarchy of await hierarchies()) {
        await rmdir(join(hierarchy, path)).catch((error: NodeJS.ErrnoException) => {
          if (!gone.has(error.code ?? '')) logger.warn({ cgroup: join(hierarchy, path), err: error.message }, 'cannot remove the pod cgroup');
        });
      }
    },
  };
}
