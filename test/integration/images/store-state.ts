// What berth's image side holds on disk, read from its root dir rather than asked of berth: the
// content store (blobs and partial ingests), the image records and the snapshots. A failed pull
// must leave this exactly as it found it.
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

const stores = ['content', 'images', 'snapshots'];

/** Every path under the stores, except inside a snapshot's unpacked tree (`fs/`). */
export async function storeState(rootDir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      found.push(relative(rootDir, path));
      if (entry.isDirectory() && entry.name !== 'fs') await walk(path);
    }
  };
  for (const store of stores) await walk(join(rootDir, store));
  return found.sort();
}
