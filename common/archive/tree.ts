// A directory tree as the archive code sees it: entries named by their components below the
// tree's top, never by a host path. Two kinds implement it: a host directory the user named
// (host-tree.ts, trusted) and a container's root filesystem (runtime/linux/root-tree.ts, hostile:
// nothing there may lead berth to a host file). pack-tree.ts reads one into a tar, unpack-tree.ts
// writes a tar into one, so the tar rules are written once for both directions of `cp`.
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

export type EntryKind = 'file' | 'directory' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

export interface EntryStat {
  kind: EntryKind;
  /** Permission bits, setuid/setgid/sticky included. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: Date;
  dev: number;
  ino: number;
  nlink: number;
  /** The device number of a char or block device node. */
  rdev: number;
}

export function entryStat(stats: Stats): EntryStat {
  const kind: EntryKind = stats.isDirectory()
    ? 'directory'
    : stats.isSymbolicLink()
      ? 'symlink'
      : stats.isCharacterDevice()
        ? 'char'
        : stats.isBlockDevice()
          ? 'block'
          : stats.isFIFO()
            ? 'fifo'
            : stats.isSocket()
              ? 'socket'
              : 'file';
  return { kind, mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid, size: stats.size, mtime: stats.mtime, dev: stats.dev, ino: stats.ino, nlink: stats.nlink, rdev: stats.rdev };
}

export interface TreeReader {
  /** What is at `path` itself (a symlink is not followed), or undefined when nothing is. */
  lstat(path: readonly string[]): Promise<EntryStat | undefined>;
  /** The names in the directory at `path`, sorted. */
  readdir(path: readonly string[]): Promise<string[]>;
  readlink(path: readonly string[]): Promise<string>;
  /** The regular file at `path`, opened for reading; fails on anything else. */
  openFile(path: readonly string[]): Promise<FileHandle>;
}

export interface Ownership {
  uid: number;
  gid: number;
}

export interface EntryMetadata {
  mode: number;
  mtime: Date;
  /** undefined: leave the owner the writer gives new entries. */
  owner: Ownership | undefined;
}

export interface TreeWriter {
  lstat(path: readonly string[]): Promise<EntryStat | undefined>;
  /** Creates a directory (no parents); fails when anything is there. */
  mkdir(path: readonly string[]): Promise<void>;
  /** Creates a regular file for writing; fails when anything, even a dangling symlink, is there. */
  createFile(path: readonly string[]): Promise<FileHandle>;
  symlink(target: string, path: readonly string[]): Promise<void>;
  /** A hard link at `path` to the existing non-directory `existing`. */
  link(existing: readonly string[], path: readonly string[]): Promise<void>;
  /** Removes the non-directory at `path` (a symlink itself, never what it points at). */
  unlink(path: readonly string[]): Promise<void>;
  /** Mode, times and owner of the entry at `path`, never of what a symlink there points at. */
  setMetadata(path: readonly string[], kind: EntryKind, metadata: EntryMetadata): Promise<void>;
}
