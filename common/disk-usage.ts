// du-style usage of directory trees: allocated bytes (st_blocks × 512) and inodes, symlinks not
// followed, a hardlinked inode counted once across every tree of one call. The trees may change
// while they are walked (pulls, removals): an entry that vanishes under the walk is skipped.
import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';

export interface DiskUsage {
  bytes: number;
  inodes: number;
}

function vanished(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The usage of `dirs` together; an absent dir counts nothing. Async all the way: never blocks the event loop. */
export async function diskUsage(...dirs: string[]): Promise<DiskUsage> {
  const seen = new Set<string>();
  let bytes = 0;
  const pending = [...dirs];
  while (pending.length > 0) {
    const current = pending.pop() as string;
    try {
      const stats = await lstat(current);
      const inode = `${stats.dev}:${stats.ino}`;
      if (!seen.has(inode)) {
        seen.add(inode);
        bytes += stats.blocks * 512;
      }
      if (!stats.isDirectory()) continue;
      for await (const entry of await opendir(current)) pending.push(join(current, entry.name));
    } catch (error) {
      if (!vanished(error)) throw error;
    }
  }
  return { bytes, inodes: seen.size };
}
