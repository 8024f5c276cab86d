// The node directories the kubelet manages for a pod (today: its log directory), behind a small
// port so pod workers can be unit-tested with a recorder instead of touching /var/log/pods.
import { mkdir, rm } from 'node:fs/promises';

export interface PodDirs {
  /** Creates the directory and its parents; succeeds when it exists. */
  ensureDir(path: string): Promise<void>;
  /** Removes the directory and everything in it; succeeds when it is absent. */
  removeDir(path: string): Promise<void>;
}

export const nodePodDirs: PodDirs = {
  ensureDir: async (path) => {
    await mkdir(path, { recursive: true, mode: 0o755 });
  },
  removeDir: (path) => rm(path, { recursive: true, force: true }),
};
