// A directory of the machine running the CLI as a tree (tree.ts): the side of `cp` the user
// names, trusted as the user's own. Entries are still opened without following a symlink at the
// last component, and unpack-tree.ts refuses to extract below one, so a symlink that arrived in
// an archive from a container is never written through.
import { constants } from 'node:fs';
import { lchown, link, lstat, lutimes, mkdir, open, readdir, readlink, symlink, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError } from '../errors.js';
import { entryStat, type EntryKind, type EntryMetadata, type EntryStat, type TreeReader, type TreeWriter } from './tree.js';

export class HostTree implements TreeReader, TreeWriter {
  constructor(readonly base: string) {}

  private at(path: readonly string[]): string {
    return join(this.base, ...path);
  }

  async lstat(path: readonly string[]): Promise<EntryStat | undefined> {
    try {
      return entryStat(await lstat(this.at(path)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async readdir(path: readonly string[]): Promise<string[]> {
    return (await readdir(this.at(path))).sort();
  }

  readlink(path: readonly string[]): Promise<string> {
    return readlink(this.at(path));
  }

  async openFile(path: readonly string[]): Promise<FileHandle> {
    const handle = await open(this.at(path), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw new FailedPreconditionError(`${this.at(path)} is not a regular file`);
    }
    return handle;
  }

  async mkdir(path: readonly string[]): Promise<void> {
    await mkdir(this.at(path), { mode: 0o700 });
  }

  createFile(path: readonly string[]): Promise<FileHandle> {
    return open(this.at(path), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  }

  symlink(target: string, path: readonly string[]): Promise<void> {
    return symlink(target, this.at(path));
  }

  link(existing: readonly string[], path: readonly string[]): Promise<void> {
    return link(this.at(existing), this.at(path));
  }

  unlink(path: readonly string[]): Promise<void> {
    return unlink(this.at(path));
  }

  async setMetadata(path: readonly string[], kind: EntryKind, metadata: EntryMetadata): Promise<void> {
    if (kind === 'symlink') {
      if (metadata.owner) await lchown(this.at(path), metadata.owner.uid, metadata.owner.gid);
      await lutimes(this.at(path), metadata.mtime, metadata.mtime);
      return;
    }
    const handle = await open(this.at(path), (kind === 'directory' ? constants.O_DIRECTORY : 0) | constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      if (metadata.owner) await handle.chown(metadata.owner.uid, metadata.owner.gid);
      await handle.chmod(metadata.mode);
      await handle.utimes(metadata.mtime, metadata.mtime);
    } finally {
      await handle.close();
    }
  }
}
