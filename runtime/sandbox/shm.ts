// The pod's /dev/shm: one tmpfs per sandbox, shared by its containers (they bind-mount it), with
// the limits every trusted runtime uses (64 MiB, sticky world-writable, no devices/setuid/exec).
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Abortable } from '../../common/abort.js';
import type { MountSpec, Mounter } from '../../common/linux/mounts.js';

export const shmMountSpec: MountSpec = {
  type: 'tmpfs',
  source: 'shm',
  options: ['nosuid', 'nodev', 'noexec', 'mode=1777', 'size=65536k'],
};

/** Mounts the sandbox's shm at `<sandboxDir>/shm`; mounting it again is a no-op. */
export async function mountSandboxShm(mounter: Mounter, sandboxDir: string, options: Abortable = {}): Promise<string> {
  const path = join(sandboxDir, 'shm');
  await mkdir(path, { recursive: true, mode: 0o700 });
  if (!(await mounter.mountsUnder(path)).includes(path)) await mounter.mount(shmMountSpec, path, options);
  return path;
}

/** Unmounts and removes the sandbox's shm; a missing or unmounted one is fine. */
export async function unmountSandboxShm(mounter: Mounter, path: string, options: Abortable = {}): Promise<void> {
  await mounter.unmount(path, options);
  await rmdir(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}
