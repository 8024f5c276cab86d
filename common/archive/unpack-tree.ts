// Extracts a tar into a directory of a tree (tree.ts), with docker's rules for what is already
// there: a directory over a directory merges; a non-directory replaces a non-directory; a
// directory and a non-directory never replace each other (the copy fails, as docker's does).
// Entry names are checked by archive-paths.ts (no `..`, no way above the directory); the tree
// itself makes sure no symlink on the way is followed. Device nodes and FIFOs are refused: Node
// cannot make them, and a copy that silently drops entries would be worse.
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { extract, type Header } from 'tar-stream';
import { FailedPreconditionError, InvalidArgumentError } from '../errors.js';
import { entryComponents, renameTop } from './archive-paths.js';
import type { EntryKind, Ownership, TreeWriter } from './tree.js';

export interface UnpackOptions {
  /** The directory (components in the tree) the entries land in; it must exist. */
  into: readonly string[];
  /**
   * The name the archive's first component takes (docker cp to a new name); null drops it, so the
   * top directory's contents land straight in `into` (docker cp SRC/.); undefined keeps it.
   */
  top?: string | null;
  /** 'archive': the uid/gid in the tar (cp -a); an Ownership: that owner; undefined: the writer's default. */
  owner: 'archive' | Ownership | undefined;
}

const kinds: Partial<Record<Header['type'], EntryKind>> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'directory',
  symlink: 'symlink',
  link: 'file',
};

const show = (path: readonly string[]) => `/${path.join('/')}`;

export async function unpackTree(writer: TreeWriter, tar: Readable | AsyncIterable<Uint8Array>, options: UnpackOptions): Promise<void> {
  const extractor = extract();
  const feed = pipeline(tar, extractor);
  const place = (name: string) => {
    const components = entryComponents(name);
    return [...options.into, ...(options.top === null ? components.slice(1) : renameTop(components, options.top))];
  };
  // Directories get their final mode and times last: a read-only one must stay writable until its contents are in.
  const directories: { path: string[]; header: Header }[] = [];
  try {
    for await (const entry of extractor) {
      const header = entry.header;
      const path = place(header.name);
      const kind = kinds[header.type];
      if (!kind) throw new InvalidArgumentError(`tar entry ${header.name} is a ${header.type}: berth cp copies files, directories and links only`);
      const owner = options.owner === 'archive' ? { uid: header.uid, gid: header.gid } : options.owner;
      const metadata = { mode: header.mode & 0o7777, mtime: header.mtime, owner };
      if (path.length === options.into.length) {
        // The archive's `.` (its top directory in contents mode): the directory already there stays as it is.
        entry.resume();
        continue;
      }
      await ensureParents(writer, path, options.into.length);
      const existing = await writer.lstat(path);
      if (existing?.kind === 'directory' && kind !== 'directory') {
        throw new FailedPreconditionError(`cannot overwrite directory ${show(path)} with non-directory ${header.name}`);
      }
      if (existing && existing.kind !== 'directory' && kind === 'directory') {
        throw new FailedPreconditionError(`cannot overwrite non-directory ${show(path)} with directory ${header.name}`);
      }
      if (existing && existing.kind !== 'directory') await writer.unlink(path);
      switch (header.type) {
        case 'directory':
          if (!existing) await writer.mkdir(path);
          directories.push({ path, header: { ...header, mode: metadata.mode } });
          entry.resume();
          continue;
        case 'symlink':
          await writer.symlink(header.linkname ?? '', path);
          break;
        case 'link':
          await writer.link(place(header.linkname ?? ''), path);
          entry.resume();
          continue;
        default: {
          const handle = await writer.createFile(path);
          await pipeline(entry, handle.createWriteStream());
        }
      }
      await writer.setMetadata(path, kind, metadata);
    }
    await feed;
  } catch (error) {
    extractor.destroy();
    await feed.catch(() => undefined);
    throw error;
  }
  for (const { path, header } of directories.reverse()) {
    const owner = options.owner === 'archive' ? { uid: header.uid, gid: header.gid } : options.owner;
    await writer.setMetadata(path, 'directory', { mode: header.mode, mtime: header.mtime, owner });
  }
}

/** Creates the missing directories between the extraction directory and `path` (a tar may omit them). */
async function ensureParents(writer: TreeWriter, path: readonly string[], from: number): Promise<void> {
  for (let end = from + 1; end < path.length; end += 1) {
    const parent = path.slice(0, end);
    const stat = await writer.lstat(parent);
    if (stat?.kind === 'directory') continue;
    if (stat) throw new FailedPreconditionError(`cannot extract below ${show(parent)}: it is a ${stat.kind}, not a directory`);
    await writer.mkdir(parent);
    await writer.setMetadata(parent, 'directory', { mode: 0o755, mtime: new Date(), owner: undefined });
  }
}
