// The tar a COPY/ADD sends: its records in order, each parent directory first when the layer is
// the whole image (FROM scratch), so the layer stands alone as docker's does. Onto an image the
// tar carries no entry for a directory it did not copy: berth.v1.Containers/CopyTo makes the
// missing ones (0755, root) and leaves the image's own untouched, owners and modes included.
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import type { CopyRecord } from './copy-records.js';

/** The parent directories the records need, not themselves copied, shallowest first. */
function missingParents(records: readonly CopyRecord[]): CopyRecord[] {
  const named = new Set(records.map((record) => record.name));
  const parents = new Set<string>();
  for (const record of records) {
    for (let dir = posix.dirname(record.name); dir !== '.' && dir !== '/' && dir !== ''; dir = posix.dirname(dir)) {
      if (!named.has(dir)) parents.add(dir);
    }
  }
  return [...parents].sort().map((name) => ({ name, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) }));
}

export function packRecords(records: readonly CopyRecord[], options: { withParents: boolean }): Readable {
  const tar = pack();
  const all = options.withParents ? [...missingParents(records), ...records] : records;
  void (async () => {
    for (const record of all) {
      const header = { name: record.type === 'directory' ? `${record.name}/` : record.name, mode: record.mode, uid: record.uid, gid: record.gid, mtime: record.mtime };
      if (record.type === 'file') {
        await new Promise<void>((resolve, reject) =>
          tar.entry({ ...header, type: 'file', size: record.content?.length ?? 0 }, record.content ?? Buffer.alloc(0), (error) => (error ? reject(error) : resolve())),
        );
      } else if (record.type === 'symlink') {
        tar.entry({ ...header, type: 'symlink', linkname: record.linkname ?? '' });
      } else {
        tar.entry({ ...header, type: 'directory' });
      }
    }
    tar.finalize();
  })().catch((error: unknown) => tar.destroy(error as Error));
  return Readable.from(tar);
}
