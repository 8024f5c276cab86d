// The node directories the kubelet manages for a pod (its log directory and its volumes), behind a
// small port so pod workers can be unit-tested with a recorder instead of touching the node.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { Mount } from '../cri/api/messages.js';
import { mkdir, rm } from 'node:fs/promises';
import { containerMounts, preparePodVolumes, removePodVolumes, type PreparedVolume } from './volumes.js';

export interface PodDirs {
  /** Creates the directory and its parents; succeeds when it exists. */
  ensureDir(path: string): Promise<void>;
  /** Removes the directory and everything in it; succeeds when it is absent. */
  removeDir(path: string): Promise<void>;
  /** The pod's volumes made ready on the node, the mountable ones by name. */
  prepareVolumes(pod: V1Pod, warn: (message: string) => void): Promise<Map<string, PreparedVolume>>;
  /** A container's mounts of the prepared volumes, subPaths resolved safely. */
  containerMounts(container: V1Container, volumes: ReadonlyMap<string, PreparedVolume>): Promise<Mount[]>;
  /** Unmounts and removes the pod's volumes; succeeds when there are none. */
  removeVolumes(uid: string): Promise<void>;
}

export function nodePodDirs(rootDir: string): PodDirs {
  return {
    ensureDir: async (path) => {
      await mkdir(path, { recursive: true, mode: 0o755 });
    },
    removeDir: (path) => rm(path, { recursive: true, force: true }),
    prepareVolumes: (pod, warn) => preparePodVolumes(pod, rootDir, warn),
    containerMounts,
    removeVolumes: (uid) => removePodVolumes(rootDir, uid),
  };
}
