// The files and directories runc leaves in a container's writable layer only as mount targets:
// an image without /etc/hosts gets an empty one (and an /etc copied up to hold it) when the
// runtime bind-mounts the pod's hosts file there; /proc, /dev, /sys likewise. Docker keeps these
// in an "init layer" below the container's, so no build step or commit carries them; berth's
// build leaves them out of the step's layer the same way: a target is left out while it is still
// an empty file or an empty directory, and so is a directory that holds nothing else (unless it
// is opaque: then it records a deletion and must stay).
import type { TreeReader } from '../../common/archive/tree.js';

/** docker's init-layer paths, plus whatever else the container mounts. */
export const runtimeMountTargets = ['etc/hosts', 'etc/resolv.conf', 'etc/hostname', 'proc', 'sys', 'dev', 'dev/pts', 'dev/shm', 'dev/mqueue', 'dev/console', 'sys/fs/cgroup', 'dev/termination-log'];

export async function mountPlaceholders(tree: TreeReader, targets: readonly string[], isOpaque: (path: string[]) => Promise<boolean>): Promise<Set<string>> {
  const skipped = new Set<string>();
  const parents = new Set<string>();
  for (const target of targets) {
    const parts = target.split('/').filter((part) => part !== '' && part !== '.' && part !== '..');
    if (parts.length === 0) continue;
    const stat = await tree.lstat(parts).catch(() => undefined);
    if (!stat) continue;
    const empty = (stat.kind === 'file' && stat.size === 0) || (stat.kind === 'directory' && (await tree.readdir(parts)).length === 0 && !(await isOpaque(parts)));
    if (!empty) continue;
    skipped.add(parts.join('/'));
    for (let length = 1; length < parts.length; length += 1) parents.add(parts.slice(0, length).join('/'));
  }
  // Deepest first, so /sys/fs goes before /sys decides.
  for (const parent of [...parents].sort((a, b) => b.split('/').length - a.split('/').length)) {
    const parts = parent.split('/');
    const stat = await tree.lstat(parts).catch(() => undefined);
    if (stat?.kind !== 'directory' || (await isOpaque(parts))) continue;
    if ((await tree.readdir(parts)).every((child) => skipped.has(`${parent}/${child}`))) skipped.add(parent);
  }
  return skipped;
}
