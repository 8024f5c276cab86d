// Paths inside a root that a hostile party controls (an image layer, a container's rootfs), resolved
// the way filepath-securejoin does: walk one component at a time with lstat, expand each symlink
// relative to the root (an absolute target restarts at the root, `..` stops at the root), and
// give up after a fixed number of links. The result is a host path below the root whose existing
// components are real directories, so the kernel follows no symlink when it is used.
//
// This is race-free only while nothing else modifies the tree between the resolution and the use:
// true for a snapshot being unpacked (berth is its only writer), not for a running container's
// rootfs, where callers must re-check after opening (O_NOFOLLOW on the last component).
import { constants } from 'node:fs';
import { lstat, mkdir, open, readlink, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../common/errors.js';

/** Linux's own limit on symlinks followed in one lookup (MAXSYMLINKS is 40; 255 is securejoin's). */
export const defaultMaxSymlinks = 255;

export interface ResolveOptions {
  maxSymlinks?: number;
}

/** The components of `path` with `.` and empty parts dropped and `..` applied, never above the top. */
export { pathComponents as lexicalComponents } from '../../common/archive/archive-paths.js';

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * The host path of `unsafePath` inside `root`, every symlink on the way (the last component
 * included) expanded inside the root. Components that do not exist are kept as named.
 * `root` itself must be a trusted, symlink-free absolute path.
 */
export async function resolveInRoot(root: string, unsafePath: string, options: ResolveOptions = {}): Promise<string> {
  return join(root, ...(await resolveComponents(root, unsafePath, options)));
}

/**
 * Like resolveInRoot, but the last component is neither followed nor cleaned away: the directory
 * it lives in (resolved securely) and its name, for creating, replacing or removing it.
 * Refuses a path whose last component is `.`, `..` or the root itself.
 */
export async function resolveParentInRoot(root: string, unsafePath: string, options: ResolveOptions = {}): Promise<{ dir: string; name: string; path: string }> {
  const parts = unsafePath.split('/').filter((p) => p !== '');
  const name = parts.pop();
  if (name === undefined || name === '.' || name === '..') {
    throw new InvalidArgumentError(`path ${JSON.stringify(unsafePath)} does not name an entry below the root`);
  }
  const dir = join(root, ...(await resolveComponents(root, parts.join('/'), options)));
  return { dir, name, path: join(dir, name) };
}

async function resolveComponents(root: string, unsafePath: string, options: ResolveOptions): Promise<string[]> {
  return expandSymlinks(unsafePath, {
    async readLink(parts) {
      const candidate = join(root, ...parts);
      try {
        if (!(await lstat(candidate)).isSymbolicLink()) return undefined;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
      return readlink(candidate);
    },
    ...(options.maxSymlinks !== undefined ? { maxSymlinks: options.maxSymlinks } : {}),
  });
}

export interface SymlinkSource {
  /** The target of the symlink at `parts` (below the root), or undefined when no symlink is there. */
  readLink(parts: readonly string[]): Promise<string | undefined>;
  maxSymlinks?: number;
  /** Leave a symlink at the last component as it is. */
  keepLast?: boolean;
}

/**
 * The components of `unsafePath` with each symlink expanded inside the root: an absolute target
 * restarts at the root, `..` stops there. Missing components are kept as named.
 */
export async function expandSymlinks(unsafePath: string, source: SymlinkSource): Promise<string[]> {
  const maxSymlinks = source.maxSymlinks ?? defaultMaxSymlinks;
  let pending = unsafePath.split('/');
  const resolved: string[] = [];
  let followed = 0;

  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const isLast = pending.every((rest) => rest === '' || rest === '.');
    const target = isLast && source.keepLast ? undefined : await source.readLink([...resolved, part]);
    if (target === undefined) {
      resolved.push(part);
      continue;
    }
    followed += 1;
    if (followed > maxSymlinks) {
      throw new InvalidArgumentError(`resolving ${JSON.stringify(unsafePath)} followed more than ${maxSymlinks} symlinks: refusing a symlink loop`);
    }
    if (target.startsWith('/')) resolved.length = 0;
    pending = [...target.split('/'), ...pending];
  }
  return resolved;
}

/** Creates `dir` and its missing parents; `dir` must come from resolveInRoot (no symlinks in it). */
export async function mkdirResolved(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
}

/** Removes whatever is at `path` without following it (a symlink is unlinked, a tree removed). */
export async function removeEntry(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/** The kind of what is at `path` without following it, or undefined when nothing is there. */
export async function entryKind(path: string): Promise<'directory' | 'symlink' | 'other' | undefined> {
  try {
    const stats = await lstat(path);
    if (stats.isDirectory()) return 'directory';
    if (stats.isSymbolicLink()) return 'symlink';
    return 'other';
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** Creates a new regular file at `path` for writing; fails if anything (even a dangling symlink) is there. */
export async function createExclusive(path: string, mode = 0o600): Promise<FileHandle> {
  return open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
}

/** Opens the directory at `path` for fchmod/fchown/futimes; fails with ELOOP if it is a symlink. */
export async function openDirectoryNoFollow(path: string): Promise<FileHandle> {
  return open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
}
