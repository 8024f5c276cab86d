// Reads a small file from inside a root a hostile party controls (an image's layers, a container's
// rootfs) on the host, with the guarantees a plain readFile lacks: a symlink in the image could
// otherwise make berth read a host file (/etc/shadow, another container's passwd), /dev/zero
// (memory without end) or a FIFO (an open that never returns).
// - the path is resolved inside the root (secure-path: symlinks expanded and clamped there, the
//   RESOLVE_IN_ROOT semantics of openat2, which Node cannot call);
// - the last component is opened O_NOFOLLOW|O_NONBLOCK, so a symlink swapped in after the
//   resolution fails the open and a FIFO never blocks it, and only after an lstat found a regular
//   file there (opening a device node may itself have effects);
// - the descriptor is checked again: fstat says regular file, and /proc/self/fd says it lives
//   below the root (a directory on the way swapped for a symlink meanwhile shows up there);
// - at most `maxBytes` are read (maxBytes + 1 tried), whatever size fstat claimed.
// A violation is an InvalidArgumentError naming the path; a file that is not there is `undefined`.
import { constants } from 'node:fs';
import { lstat, open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { InvalidArgumentError, errorMessage } from '../../common/errors.js';
import { resolveInRoot } from './secure-path.js';

export interface ReadInRootOptions {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** What holds the root, for messages ("the image of container 1234"). */
  rootName?: string;
}

const openFlags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function kindOf(stats: { isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isSymbolicLink()) return 'a symlink';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The bytes of `unsafePath` inside `trustedRoot` (a path berth made; symlinks in it, such as
 * /var/run, are fine), or undefined when nothing is there. Refuses anything but a regular file of
 * at most `maxBytes` below the root.
 */
export async function readFileInRoot(trustedRoot: string, unsafePath: string, options: ReadInRootOptions): Promise<Buffer | undefined> {
  const where = `${unsafePath.startsWith('/') ? '' : '/'}${unsafePath} in ${options.rootName ?? `root ${trustedRoot}`}`;
  const refuse = (why: string, cause?: unknown): InvalidArgumentError => new InvalidArgumentError(`refusing to read ${where}: ${why}`, cause === undefined ? undefined : { cause });

  // The fd check below compares against the kernel's view of the path: no symlink in it.
  const root = await realpath(trustedRoot);
  let path: string;
  try {
    path = await resolveInRoot(root, unsafePath);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw refuse(error.message, error);
    throw refuse(`it cannot be resolved: ${errorMessage(error)}`, error);
  }
  try {
    const before = await lstat(path);
    if (!before.isFile()) throw refuse(`it is ${kindOf(before)}, not a regular file`);
    if (before.size > options.maxBytes) throw refuse(`it has ${before.size} bytes, more than the ${options.maxBytes} accepted`);
  } catch (error) {
    if (isMissing(error)) return undefined;
    if (error instanceof InvalidArgumentError) throw error;
    throw refuse(errorMessage(error), error);
  }

  let handle: FileHandle;
  try {
    handle = await open(path, openFlags);
  } catch (error) {
    if (isMissing(error)) return undefined;
    // ELOOP: the last component became a symlink after the resolution
    throw refuse(`it cannot be opened without following a link: ${errorMessage(error)}`, error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw refuse(`it is ${kindOf(stats)}, not a regular file`);
    const opened = await readlink(`/proc/self/fd/${handle.fd}`);
    if (!opened.startsWith(`${root}/`)) throw refuse(`it was opened at ${opened}, outside the root (the tree changed during the lookup)`);
    return await readCapped(handle, stats.size, options.maxBytes, refuse);
  } finally {
    await handle.close();
  }
}

/** Reads to the end, but never more than maxBytes + 1 bytes: a file that grows is caught too. */
async function readCapped(handle: FileHandle, sizeHint: number, maxBytes: number, refuse: (why: string) => Error): Promise<Buffer> {
  let buffer = Buffer.alloc(Math.min(sizeHint, maxBytes) + 1);
  let filled = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
    if (bytesRead === 0) break;
    filled += bytesRead;
    if (filled > maxBytes) break;
    if (filled === buffer.length) {
      const grown = Buffer.alloc(Math.min(buffer.length * 2, maxBytes + 1));
      buffer.copy(grown, 0, 0, filled);
      buffer = grown;
    }
  }
  if (filled > maxBytes) throw refuse(`it has more than the ${maxBytes} bytes accepted`);
  return buffer.subarray(0, filled);
}
