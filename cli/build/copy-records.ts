// What a COPY or ADD puts into the image, as a list of tar-ready records named by their path in
// the image (relative to /): gathered from the build context, or from a tar (an earlier stage's
// files through berth.v1.Containers/CopyFrom, or a local tarball ADD unpacks). The records are
// what the layer's tar holds and what the cache key hashes, so both see the same bytes.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { InvalidArgumentError } from '../../common/errors.js';
import type { BuildContext, ContextEntry } from './build-context.js';

export interface CopyRecord {
  /** Path in the image, relative to / ("app/bin/tool"). */
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  linkname?: string;
  content?: Buffer;
}

/** Reads a context file without following a symlink that replaced it since it was listed. */
async function readContextFile(context: BuildContext, path: string): Promise<Buffer> {
  const handle = await open(context.absolute(path), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

async function recordOf(context: BuildContext, entry: ContextEntry, name: string): Promise<CopyRecord | undefined> {
  const { stats } = entry;
  // COPY makes everything root's unless --chown says otherwise, as docker does: the builder's own uid means nothing in the image.
  const base = { name, mode: stats.mode & 0o7777, uid: 0, gid: 0, mtime: stats.mtime };
  if (stats.isDirectory()) return { ...base, type: 'directory' };
  if (stats.isSymbolicLink()) return { ...base, type: 'symlink', linkname: await readlink(context.absolute(entry.path)) };
  if (stats.isFile()) return { ...base, type: 'file', content: await readContextFile(context, entry.path) };
  // Sockets, FIFOs and devices in a context are skipped, as docker skips what it cannot archive.
  return undefined;
}

/** The records for one context source copied to `target`: a directory's contents go below it, anything else becomes it. */
export async function contextRecords(context: BuildContext, entry: ContextEntry, target: string): Promise<CopyRecord[]> {
  if (!entry.stats.isDirectory()) {
    const record = await recordOf(context, entry, target);
    return record ? [record] : [];
  }
  const records: CopyRecord[] = [];
  for (const child of await context.below(entry.path)) {
    const relative = entry.path === '' ? child.path : child.path.slice(entry.path.length + 1);
    const record = await recordOf(context, child, posix.join(target, relative));
    if (record) records.push(record);
  }
  return records;
}

/**
 * A tar's entries as records below `target`; `dropTop` removes each name's first component (the
 * archived directory's own name, which CopyFrom puts first). Hard links become copies.
 */
export async function tarRecords(tar: Readable | AsyncIterable<Uint8Array>, target: string, dropTop: boolean): Promise<CopyRecord[]> {
  const records: CopyRecord[] = [];
  const byName = new Map<string, CopyRecord>();
  const extractor = extract();
  const feeding = pipeline(tar, extractor);
  for await (const entry of extractor) {
    const { header } = entry;
    const parts = header.name.split('/').filter((part) => part !== '' && part !== '.');
    if (parts.includes('..')) throw new InvalidArgumentError(`the archive entry ${header.name} leaves its directory`);
    const relative = (dropTop ? parts.slice(1) : parts).join('/');
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    const name = relative === '' ? target : posix.join(target, relative);
    const base = { name, mode: (header.mode ?? 0o644) & 0o7777, uid: header.uid ?? 0, gid: header.gid ?? 0, mtime: header.mtime ?? new Date(0) };
    let record: CopyRecord | undefined;
    if (header.type === 'directory') record = { ...base, type: 'directory' };
    else if (header.type === 'symlink') record = { ...base, type: 'symlink', linkname: header.linkname ?? '' };
    else if (header.type === 'file' || header.type === 'contiguous-file') record = { ...base, type: 'file', content: Buffer.concat(chunks) };
    else if (header.type === 'link') {
      const linkParts = (header.linkname ?? '').split('/').filter((part) => part !== '' && part !== '.');
      const original = byName.get(posix.join(target, (dropTop ? linkParts.slice(1) : linkParts).join('/')));
      if (original) record = { ...original, name };
    } else {
      throw new InvalidArgumentError(`the archive entry ${header.name} is a ${header.type}: berth build copies files, directories and links only`);
    }
    if (record) {
      records.push(record);
      byName.set(record.name, record);
    }
  }
  await feeding;
  return records;
}

/** --chown and --chmod: every record's owner and mode replaced, as docker applies them to all it copies. */
export function withOwnerAndMode(records: CopyRecord[], owner: { uid: number; gid: number } | undefined, mode: number | undefined): CopyRecord[] {
  return records.map((record) => ({
    ...record,
    ...(owner ? owner : {}),
    ...(mode !== undefined && record.type !== 'symlink' ? { mode } : {}),
  }));
}

/** --chmod's octal mode, checked. */
export function parseChmod(text: string): number {
  if (!/^[0-7]{3,4}$/.test(text)) throw new InvalidArgumentError(`--chmod=${text}: berth takes an octal mode such as 0755`);
  return Number.parseInt(text, 8);
}

/** The records' identity for the build cache: names, kinds, modes, owners, link targets and content hashes (not times, as docker's). */
export function recordsDigest(records: readonly CopyRecord[]): string {
  const hash = createHash('sha256');
  for (const record of records) {
    const content = record.content ? createHash('sha256').update(record.content).digest('hex') : '';
    hash.update(`${JSON.stringify([record.name, record.type, record.mode, record.uid, record.gid, record.linkname ?? '', content])}\n`);
  }
  return hash.digest('hex');
}
