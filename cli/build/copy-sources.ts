// What a COPY or ADD copies, gathered before anything is created so its cache key can be computed
// first (an unchanged rebuild makes no container at all). Each source becomes a group of records
// named relative to where it lands: a directory's contents (and an unpacked tarball's) go below
// the destination, anything else becomes the destination or a file in it (placeGroups).
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { FailedPreconditionError } from '../../common/errors.js';
import type { BuildContext } from './build-context.js';
import { contextRecords, tarRecords, type CopyRecord } from './copy-records.js';
import { hasWildcard } from './path-patterns.js';

export interface SourceGroup {
  /** 'contents': records go below the destination; 'single': one entry named by the source's base name. */
  kind: 'contents' | 'single';
  records: CopyRecord[];
}

/** A tarball's bytes as a tar, gzip undone; undefined when they are not an archive ADD unpacks. */
function asTar(bytes: Buffer, source: string): Buffer | undefined {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return gunzipSync(bytes);
  if (bytes.subarray(0, 3).toString('latin1') === 'BZh' || bytes.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) {
    throw new FailedPreconditionError(`ADD ${source}: berth unpacks plain and gzip tarballs only, not bzip2 or xz; recompress it with gzip`);
  }
  if (bytes.length >= 262 && bytes.subarray(257, 262).toString('latin1') === 'ustar') return bytes;
  return undefined;
}

/** COPY/ADD sources from the build context; `unpack` (ADD) turns a local tarball into its contents. */
export async function contextGroups(context: BuildContext, sources: readonly string[], unpack: boolean): Promise<{ groups: SourceGroup[]; wildcard: boolean }> {
  const groups: SourceGroup[] = [];
  for (const source of sources) {
    for (const entry of await context.sources(source)) {
      if (entry.stats.isDirectory()) {
        groups.push({ kind: 'contents', records: await contextRecords(context, entry, '') });
        continue;
      }
      const [record] = await contextRecords(context, entry, posix.basename(entry.path));
      if (!record) continue;
      const tar = unpack && record.type === 'file' && record.content ? asTar(record.content, source) : undefined;
      if (tar) groups.push({ kind: 'contents', records: await tarRecords(Readable.from([tar]), '', false) });
      else groups.push({ kind: 'single', records: [record] });
    }
  }
  return { groups, wildcard: sources.some(hasWildcard) };
}

/** One source from another image's tar (CopyFrom: entries below the source's base name). */
export async function archiveGroup(tar: AsyncIterable<Uint8Array>, isDirectory: boolean): Promise<SourceGroup> {
  if (!isDirectory) return { kind: 'single', records: await tarRecords(tar, '', false) };
  // The archived directory's own entry (named '' once its name is dropped) is not copied: COPY copies contents.
  const records = (await tarRecords(tar, '', true)).filter((record) => record.name !== '');
  return { kind: 'contents', records };
}

/** The groups' records named by their paths in the image; `destIsDir` from the Dockerfile and the image. */
export function placeGroups(groups: readonly SourceGroup[], dest: string, destIsDir: boolean): CopyRecord[] {
  const base = dest.replace(/^\/+/, '').replace(/\/+$/, '');
  return groups.flatMap((group) =>
    group.records.map((record) => {
      const name = group.kind === 'contents' || destIsDir ? posix.join(base, record.name) : base;
      return { ...record, name };
    }),
  );
}
