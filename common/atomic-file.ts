// State that must survive a crash is written whole or not at all: write a temporary file beside
// the target, fsync it, rename it over the target, fsync the directory. A reader never sees a
// half-written record, and a crash leaves either the old or the new content.
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(temp, 'wx', mode);
  try {
    await file.writeFile(data);
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(temp, { force: true });
    throw error;
  }
  await file.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** Makes a rename or create in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A versioned JSON record, written atomically. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Removes the temp files that writes into `dir` left when a crash cut them short (the
 * `.<name>.<hex>.tmp` beside each target); with `name`, only those of that target. Returns how
 * many it removed. A missing dir has none.
 */
export async function removeTempFiles(dir: string, name?: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((entry) => /^\..+\.[0-9a-f]{12}\.tmp$/.test(entry) && (name === undefined || entry.startsWith(`.${name}.`)));
  await Promise.all(stale.map((entry) => rm(join(dir, entry), { force: true })));
  return stale.length;
}
