// A container's root filesystem as a TreeReader/TreeWriter (common/archive/tree.ts) that never
// leaves the root, whatever the container does meanwhile. The container is running: any
// directory may be swapped for a symlink to / between two looks, so no host path below the root
// is ever handed to the kernel. Every operation walks from a descriptor of the root, one
// component at a time, opening each directory O_DIRECTORY|O_NOFOLLOW through
// /proc/self/fd/<parent>/<name> (the openat(2) of Node, which has no *at calls): a symlink on
// the way fails the open, and the kernel resolves each name inside the directory already opened.
// The last component is acted on through the same magic link with calls that do not follow it
// (lstat, readlink, unlink, symlink, link, lchown, lutimes, open with O_NOFOLLOW). A directory on
// another filesystem (a mount point) is refused rather than crossed.
//
// `resolve` expands symlinks the way the container itself would, clamped to the root (an absolute
// target restarts at the root, `..` stops there): for the paths a user names (docker cp follows
// them inside the container); what it returns is then walked with the rules above again.
import { constants } from 'node:fs';
import { lchown, link, lstat, lutimes, mkdir, open, readdir, readlink, symlink, unlink, type FileHandle } from 'node:fs/promises';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../common/errors.js';
import { expandSymlinks } from './secure-path.js';
import { entryStat, type EntryKind, type EntryMetadata, type EntryStat, type TreeReader, type TreeWriter } from '../../common/archive/tree.js';

const directoryFlags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/** Linux's O_PATH (Node does not export it): a descriptor that names an inode without opening it. */
const O_PATH = 0o10000000;
const maxSymlinks = 40;

const fdPath = (handle: FileHandle, name?: string) => `/proc/self/fd/${handle.fd}${name === undefined ? '' : `/${name}`}`;
const errno = (error: unknown) => (error as NodeJS.ErrnoException).code;

function checkName(name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new InvalidArgumentError(`${JSON.stringify(name)} is not a file name`);
  }
  return name;
}

export class RootTree implements TreeReader, TreeWriter {
  private constructor(
    private readonly root: FileHandle,
    private readonly rootDev: number,
    readonly description: string,
  ) {}

  /** Opens `rootPath` (a trusted host path: the container's rootfs mount, a snapshot's dir). */
  static async open(rootPath: string, description: string): Promise<RootTree> {
    const root = await open(rootPath, directoryFlags);
    return new RootTree(root, (await root.stat()).dev, description);
  }

  close(): Promise<void> {
    return this.root.close();
  }

  /** Runs `body` with the directory at `dir` opened (no symlink followed on the way). */
  private async inDirectory<T>(dir: readonly string[], body: (handle: FileHandle) => Promise<T>): Promise<T> {
    let current = this.root;
    const opened: FileHandle[] = [];
    try {
      for (const name of dir) {
        let next: FileHandle;
        try {
          next = await open(fdPath(current, checkName(name)), directoryFlags);
        } catch (error) {
          if (errno(error) === 'ELOOP' || errno(error) === 'ENOTDIR') {
            throw new NotFoundError(`${this.show(dir)}: ${name} is not a directory of ${this.description} (a symlink is not followed there)`);
          }
          if (errno(error) === 'ENOENT') throw new NotFoundError(`${this.show(dir)}: no such directory in ${this.description}`);
          throw error;
        }
        opened.push(next);
        if ((await next.stat()).dev !== this.rootDev) {
          throw new FailedPreconditionError(`${this.show(dir)} crosses a mount point of ${this.description}; berth does not follow it there`);
        }
        current = next;
      }
      return await body(current);
    } finally {
      for (const handle of opened.reverse()) await handle.close();
    }
  }

  /** Runs `body` with the directory holding `path` opened, and the last component's name. */
  private atEntry<T>(path: readonly string[], body: (dir: FileHandle, name: string) => Promise<T>): Promise<T> {
    const name = path.at(-1);
    if (name === undefined) throw new InvalidArgumentError(`the root of ${this.description} is not an entry of a directory`);
    return this.inDirectory(path.slice(0, -1), (dir) => body(dir, checkName(name)));
  }

  private show(path: readonly string[]): string {
    return `/${path.join('/')}`;
  }

  async lstat(path: readonly string[]): Promise<EntryStat | undefined> {
    try {
      if (path.length === 0) return entryStat(await this.root.stat());
      return await this.atEntry(path, async (dir, name) => entryStat(await lstat(fdPath(dir, name))));
    } catch (error) {
      if (error instanceof NotFoundError || errno(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  readdir(path: readonly string[]): Promise<string[]> {
    return this.inDirectory(path, async (dir) => (await readdir(fdPath(dir))).sort());
  }

  readlink(path: readonly string[]): Promise<string> {
    return this.atEntry(path, (dir, name) => readlink(fdPath(dir, name)));
  }

  openFile(path: readonly string[]): Promise<FileHandle> {
    return this.atEntry(path, (dir, name) => this.openRegular(dir, name, path));
  }

  /**
   * Opens a regular file for reading. The container may have put a device node or FIFO there
   * (it has CAP_MKNOD), and opening one can have effects of its own or block: the name is first
   * pinned with O_PATH (no open of the device), checked by fstat, and only then reopened.
   */
  private async openRegular(dir: FileHandle, name: string, path: readonly string[]): Promise<FileHandle> {
    const pinned = await open(fdPath(dir, name), O_PATH | constants.O_NOFOLLOW);
    try {
      if (!(await pinned.stat()).isFile()) throw new FailedPreconditionError(`${this.show(path)} in ${this.description} is not a regular file`);
      return await open(fdPath(pinned), constants.O_RDONLY | constants.O_NONBLOCK);
    } finally {
      await pinned.close();
    }
  }

  mkdir(path: readonly string[]): Promise<void> {
    return this.atEntry(path, (dir, name) => mkdir(fdPath(dir, name), { mode: 0o700 }));
  }

  createFile(path: readonly string[]): Promise<FileHandle> {
    return this.atEntry(path, (dir, name) => open(fdPath(dir, name), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600));
  }

  symlink(target: string, path: readonly string[]): Promise<void> {
    return this.atEntry(path, (dir, name) => symlink(target, fdPath(dir, name)));
  }

  link(existing: readonly string[], path: readonly string[]): Promise<void> {
    // link(2) without AT_SYMLINK_FOLLOW links a symlink itself, never its target.
    return this.atEntry(existing, (fromDir, fromName) => this.atEntry(path, (dir, name) => link(fdPath(fromDir, fromName), fdPath(dir, name))));
  }

  unlink(path: readonly string[]): Promise<void> {
    return this.atEntry(path, (dir, name) => unlink(fdPath(dir, name)));
  }

  setMetadata(path: readonly string[], kind: EntryKind, metadata: EntryMetadata): Promise<void> {
    return this.atEntry(path, async (dir, name) => {
      if (kind === 'symlink') {
        if (metadata.owner) await lchown(fdPath(dir, name), metadata.owner.uid, metadata.owner.gid);
        await lutimes(fdPath(dir, name), metadata.mtime, metadata.mtime);
        return;
      }
      const handle = kind === 'directory' ? await open(fdPath(dir, name), directoryFlags) : await this.openRegular(dir, name, path);
      try {
        if (entryStat(await handle.stat()).kind !== kind) throw new FailedPreconditionError(`${this.show(path)} in ${this.description} changed while it was written`);
        // chown first: it clears setuid/setgid bits the chmod then sets.
        if (metadata.owner) await handle.chown(metadata.owner.uid, metadata.owner.gid);
        await handle.chmod(metadata.mode);
        await handle.utimes(metadata.mtime, metadata.mtime);
      } finally {
        await handle.close();
      }
    });
  }

  /**
   * The components of `unsafePath` with every symlink expanded inside the root (the last one only
   * with `followLast`). Missing components are kept as named.
   */
  resolve(unsafePath: string, followLast: boolean): Promise<string[]> {
    return expandSymlinks(unsafePath, {
      readLink: async (parts) => ((await this.lstat(parts))?.kind === 'symlink' ? this.readlink(parts) : undefined),
      maxSymlinks,
      keepLast: !followLast,
    });
  }
}
