// Writes a volume's payload so a container never sees half an update: the files go into a fresh
// timestamped directory, the "..data" symlink is swapped to it with one rename, and each
// top-level name is a symlink through "..data" (the upstream kubelet's layout, which programs
// watching configMap volumes rely on). Nothing is written when the payload is unchanged.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, readFile, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Payload } from './volume-payload.js';

const dataLink = '..data';

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(dir, path)));
    else files.push(path);
  }
  return files;
}

async function sameAsOnDisk(dataDir: string, payload: Payload): Promise<boolean> {
  const files = await listFiles(dataDir);
  if (files.length !== payload.size) return false;
  for (const path of files) {
    const want = payload.get(path);
    if (!want) return false;
    // Only the kubelet writes here, and only regular files: a link, FIFO or device (or a file of
    // another size) is a difference to rewrite, never something to open or read without end.
    const info = await lstat(join(dataDir, path));
    if (!info.isFile() || info.size !== want.data.length || (info.mode & 0o777) !== want.mode) return false;
    const data = await readFile(join(dataDir, path), { flag: constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK });
    if (!data.equals(want.data)) return false;
  }
  return true;
}

function timestampedName(now: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const stamp = `${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}`;
  return `..${stamp}.${randomBytes(4).toString('hex')}`;
}

/** Returns true when the payload changed what the volume shows. */
export async function writePayload(dir: string, payload: Payload, now = new Date()): Promise<boolean> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const current = await readlink(join(dir, dataLink)).catch(() => undefined);
  if (current !== undefined && (await sameAsOnDisk(join(dir, current), payload))) return false;

  const fresh = timestampedName(now);
  const freshDir = join(dir, fresh);
  await mkdir(freshDir, { mode: 0o755 });
  for (const [path, file] of payload) {
    const target = join(freshDir, path);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    await writeFile(target, file.data, { mode: file.mode, flag: 'wx' });
    // The mode given to writeFile is masked by the umask; the volume must show exactly the one asked.
    await chmod(target, file.mode);
  }
  const tmpLink = join(dir, `${dataLink}_tmp`);
  await rm(tmpLink, { force: true });
  await symlink(fresh, tmpLink);
  await rename(tmpLink, join(dir, dataLink));

  const topNames = new Set([...payload.keys()].map((path) => path.split('/')[0] ?? ''));
  for (const name of topNames) {
    const link = join(dir, name);
    const existing = await readlink(link).catch(() => undefined);
    if (existing === join(dataLink, name)) continue;
    await rm(link, { force: true });
    await symlink(join(dataLink, name), link);
  }
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('..')) continue;
    if (topNames.has(entry)) continue;
    const info = await lstat(join(dir, entry));
    // Only the writer's own links are removed; anything else in the directory is not ours.
    if (info.isSymbolicLink() && (await readlink(join(dir, entry))).startsWith(`${dataLink}/`)) await rm(join(dir, entry));
  }
  if (current !== undefined && current !== fresh) await rm(join(dir, current), { recursive: true, force: true });
  return true;
}
