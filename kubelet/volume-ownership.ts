// A pod's fsGroup on its volumes, as upstream's SetVolumeOwnership: every file and directory is
// given the group, group read (and write, unless the volume is read-only), and directories the
// setgid bit so what containers create there keeps the group. Symlinks are re-grouped themselves
// (lchown) and never followed, so a link in a volume cannot point the change elsewhere.
import { chmod, lchown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const groupReadWrite = 0o660;
const groupRead = 0o440;
const groupSearch = 0o110;
const setgid = 0o2000;

/** Pure: the mode a file or directory gets for the pod's fsGroup. */
export function fsGroupMode(mode: number, isDirectory: boolean, readOnly: boolean): number {
  const permissions = mode & 0o7777;
  const mask = (readOnly ? groupRead : groupReadWrite) | (isDirectory ? setgid | groupSearch : 0);
  return permissions | mask;
}

export async function applyFsGroup(dir: string, gid: number, readOnly: boolean): Promise<void> {
  const info = await lstat(dir);
  await lchown(dir, info.uid, gid);
  if (info.isSymbolicLink()) return;
  await chmod(dir, fsGroupMode(info.mode, info.isDirectory(), readOnly));
  if (!info.isDirectory()) return;
  for (const entry of await readdir(dir)) await applyFsGroup(join(dir, entry), gid, readOnly);
}
