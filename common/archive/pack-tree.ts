// Writes a tree (tree.ts) into a tar, depth first in name order: directories, regular files,
// symlinks as symlinks, a file seen again under another name as a hard link, device nodes and
// FIFOs as such; sockets are left out (tar has no type for them). A file whose size changes
// while it is read (a running container writes it) is cut or padded to the size its header
// already announced, so the archive stays well-formed.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';
import type { Header, Pack } from 'tar-stream';
import type { EntryStat, TreeReader } from './tree.js';

const tarTypes = { file: 'file', directory: 'directory', symlink: 'symlink', char: 'character-device', block: 'block-device', fifo: 'fifo' } as const;

const major = (rdev: number) => ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
const minor = (rdev: number) => (rdev & 0xff) | ((rdev >> 12) & ~0xff);

/** Exactly `size` bytes of the file: what it has, then zeros if it shrank meanwhile. */
async function* exactly(handle: FileHandle, size: number): AsyncIterable<Buffer> {
  let at = 0;
  const buffer = Buffer.alloc(Math.min(size, 1024 * 1024));
  while (at < size) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - at), at);
    if (bytesRead === 0) {
      yield Buffer.alloc(size - at);
      return;
    }
    yield Buffer.from(buffer.subarray(0, bytesRead));
    at += bytesRead;
  }
}

export interface PackOptions {
  /** Names in the archive: `top` for the tree's own entry; [] leaves it out (its contents only). */
  top: string[];
  /**
   * The tree is an overlayfs upper dir packed as an image layer (docker commit): its whiteouts
   * (0/0 character devices) become OCI `.wh.<name>` files, and a directory `opaque` answers true
   * for gets a `.wh..wh..opq` file first, hiding what the layers below have there.
   */
  layer?: { opaque(path: readonly string[]): Promise<boolean>; leaveOut?(path: readonly string[]): boolean };
}

export async function packTree(reader: TreeReader, start: readonly string[], pack: Pack, options: PackOptions): Promise<void> {
  const linked = new Map<string, string>();
  const stat = await reader.lstat(start);
  if (!stat) throw new Error(`/${start.join('/')} vanished before it was archived`);
  await packEntry(reader, start, options.top, stat, pack, { linked, layer: options.layer });
}

interface PackState {
  linked: Map<string, string>;
  layer: PackOptions['layer'];
}

type EntryHeader = Partial<Header> & Pick<Header, 'name'>;

/** Adds one entry; resolves once tar-stream has taken all of it (entries go one at a time). */
function entry(pack: Pack, header: EntryHeader, content?: AsyncIterable<Buffer>): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null) => (error ? reject(error) : resolve());
    if (content) pipeline(Readable.from(content), pack.entry(header, done)).catch(reject);
    else pack.entry(header, Buffer.alloc(0), done);
  });
}

async function packEntry(reader: TreeReader, path: readonly string[], name: string[], stat: EntryStat, pack: Pack, state: PackState): Promise<void> {
  if (stat.kind === 'socket') return;
  const { linked, layer } = state;
  // A build step's layer leaves out what runc made only as a mount target (runtime/containers/mount-placeholders.ts).
  if (layer?.leaveOut?.(path)) return;
  const archived = name.join('/');
  const header: EntryHeader = { name: archived, mode: stat.mode, uid: stat.uid, gid: stat.gid, mtime: stat.mtime, type: tarTypes[stat.kind], size: 0 };
  if (layer && stat.kind === 'char' && stat.rdev === 0) {
    const base = name.at(-1) ?? '';
    await entry(pack, { ...header, name: [...name.slice(0, -1), `.wh.${base}`].join('/'), type: 'file', mode: 0o600 });
    return;
  }
  if (stat.kind === 'directory') {
    if (name.length > 0) await entry(pack, { ...header, name: `${archived}/` });
    if (layer && (await layer.opaque(path))) await entry(pack, { ...header, name: [...name, '.wh..wh..opq'].join('/'), type: 'file', mode: 0o600 });
    for (const child of await reader.readdir(path)) {
      const childStat = await reader.lstat([...path, child]);
      // Removed while the tree was walked: it is simply not in the archive.
      if (childStat) await packEntry(reader, [...path, child], [...name, child], childStat, pack, state);
    }
    return;
  }
  const inode = `${stat.dev}:${stat.ino}`;
  const first = stat.nlink > 1 ? linked.get(inode) : undefined;
  if (first !== undefined) {
    await entry(pack, { ...header, type: 'link', linkname: first });
    return;
  }
  if (stat.nlink > 1) linked.set(inode, archived);
  switch (stat.kind) {
    case 'symlink':
      await entry(pack, { ...header, linkname: await reader.readlink(path) });
      return;
    case 'char':
    case 'block':
      await entry(pack, { ...header, devmajor: major(stat.rdev), devminor: minor(stat.rdev) });
      return;
    case 'fifo':
      await entry(pack, header);
      return;
    default: {
      const handle = await reader.openFile(path);
      try {
        const size = (await handle.stat()).size;
        await entry(pack, { ...header, size }, exactly(handle, size));
      } finally {
        await handle.close();
      }
    }
  }
}
