// State that must survive a crash is written whole or not at all: write a temporary file beside
// the target, fsync it, rename it over the target, fsync the directory. A reader never sees a
// half-written record, and a crash leaves either the old or the new content.
//
// Files under the volatile state dir (/run/berth: bundles, sandbox files, monitor and CNI
// records) die with the boot, so only a crash of berth itself can cut their write short, and the
// page cache survives that: they are written with the temp + rename alone
// (writeVolatileFileAtomic). The two fsyncs cost several milliseconds each on a busy disk, and a
// pod start used to pay for six of them.
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  await replaceFile(path, data, mode, true);
}

/** Whole or not at all against a crash of berth, not of the machine: for the volatile state dir only. */
export async function writeVolatileFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  await replaceFile(path, data, mode, false);
}

async function replaceFile(path: string, data: string | Uint8Array, mode: number, durable: boolean): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(temp, 'wx', mode);
  try {
    await file.writeFile(data);
    if (durable) await file.sync();
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
  if (durable) await syncDirectory(dirname(path));
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

/** A JSON file under the volatile state dir, written atomically (writeVolatileFileAtomic). */
export async function writeVolatileJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeVolatileFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
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
