// Unpacks one OCI layer (an uncompressed tar stream) into a snapshot directory in overlayfs
// format: OCI whiteouts become what overlayfs reads (`.wh.<name>` → a 0:0 character device
// `<name>`, `.wh..wh..opq` → `trusted.overlay.opaque=y` on the directory).
//
// The tar is hostile input (see ANCHORS.md: entries, symlinks, hardlinks and whiteouts leaving
// the snapshot). The guarantees, each with its mechanism:
// - nothing is created, written, chmod-ed, chown-ed or removed outside `dir`: every entry's
//   parent is resolved with secure-path (symlinks expanded and clamped inside `dir`), the last
//   component is never followed (O_EXCL|O_NOFOLLOW creates, fchmod/fchown on descriptors opened
//   O_NOFOLLOW, lchown/lutimes, mknod and link(2) which never follow it), and what was there is
//   removed as an entry, not through it;
// - names with `..` components are refused (no real layer has one); absolute names are taken
//   relative to `dir`, as every OCI implementation does;
// - hardlink targets resolve inside `dir` and must be existing non-directories;
// - entry count, name lengths, UIDs/GIDs and xattr namespaces are bounded;
// - xattr values are set as the bytes the layer holds (pax-xattrs.ts: tar-stream reads them as text).
// The diff_id (sha256 of the uncompressed tar) is computed from the bytes as they stream by.
//
// Speed without giving any of that up (a layer of thousands of small files was latency-bound on
// thread-pool round trips, one entry at a time):
// - directories the unpack made, or resolved to their own name, are remembered (known-directories.ts)
//   so entries below them skip the secure walk; every removal forgets the removed subtree first;
// - a file is created O_EXCL first and whatever is there is removed only on EEXIST, instead of an
//   lstat before every entry;
// - what is applied through a descriptor once an entry is written (fchown, fchmod, futimes, close)
//   runs in the background, a few entries at once: it reaches the entry's inode whatever later
//   entries do to its name, so it cannot be redirected. Everything that takes a path (create,
//   mkdir, remove, link, mknod, xattrs) stays in entry order in the foreground;
// - a file's body is written in batches of up to 1 MiB (writev) instead of one write per chunk.
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { lchown, link, lstat, lutimes, symlink, type FileHandle } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { extract, type Extract, type Header } from 'tar-stream';
import { BerthError, InvalidArgumentError, ResourceExhaustedError, errorMessage } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import { mapBounded } from '../images/bounded-map.js';
import { hashDigest, sha256Hasher, type Digest } from '../images/digest.js';
import type { DeviceNodes } from '../linux/device-nodes.js';
import { createExclusive, entryKind, mkdirResolved, openDirectoryNoFollow, removeEntry, resolveInRoot, resolveParentInRoot } from '../linux/secure-path.js';
import type { Xattrs } from '../linux/xattr.js';
import { BackgroundWork } from './background-work.js';
import { PaxXattrTap } from './pax-xattrs.js';
import { KnownDirectories, parentName } from './known-directories.js';
import { writeBody } from './write-body.js';

export interface UnpackLimits {
  maxEntries: number;
  /** Bytes of one path component (NAME_MAX). */
  maxNameBytes: number;
  /** Bytes of a whole entry path or link target (PATH_MAX). */
  maxPathBytes: number;
}

export const defaultUnpackLimits: UnpackLimits = { maxEntries: 1_000_000, maxNameBytes: 255, maxPathBytes: 4096 };

export interface UnpackDeps {
  xattrs: Xattrs;
  devices: DeviceNodes;
  logger?: Logger;
}

export interface UnpackResult {
  /** sha256 of the uncompressed tar stream: the diff_id the image config lists. */
  diffId: Digest;
  /** Bytes of the uncompressed tar stream. */
  size: number;
  entries: number;
}

const whiteoutPrefix = '.wh.';
const opaqueWhiteout = '.wh..wh..opq';
const maxId = 0xffff_fffe; // 2^32-1 is "no id" to chown(2); anything larger overflows
/** Entries whose descriptor work may still run; each holds one open descriptor. */
const backgroundEntries = 16;
/** Directory times set at once when the unpack finishes. */
const directoryTimesAtOnce = 8;

/** Unpacks the uncompressed tar `tar` into `dir` (an existing, trusted, symlink-free directory). */
export async function unpackLayer(tar: Readable, dir: string, deps: UnpackDeps, limits: UnpackLimits = defaultUnpackLimits): Promise<UnpackResult> {
  const hash = sha256Hasher();
  let size = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const archive = extract();
  const xattrTap = new PaxXattrTap();
  const streamed = pipeline(tar, hasher, xattrTap, archive);
  streamed.catch(() => undefined); // awaited below; this only marks it handled meanwhile

  const unpacker = new EntryWriter(dir, deps, limits, xattrTap);
  let entries = 0;
  try {
    for await (const entry of archive) {
      entries += 1;
      if (entries > limits.maxEntries) {
        throw new ResourceExhaustedError(`layer has more than ${limits.maxEntries} entries: refusing to unpack it`);
      }
      await unpacker.write(entry.header, entry);
      entry.resume(); // whatever a handler did not read (a hardlink's or directory's body)
    }
    await streamed;
    await unpacker.finish();
  } catch (error) {
    tar.destroy();
    // nothing may still be writing into `dir` when the caller, seeing the failure, removes it
    await unpacker.settle();
    if (error instanceof BerthError) throw error;
    throw new InvalidArgumentError(`cannot unpack layer into ${dir}: ${errorMessage(error)}`, { cause: error });
  }
  return { diffId: hashDigest(hash), size, entries };
}

type PaxRecords = Record<string, string>;
/** One entry's body as the extractor yields it. */
type Source = Extract extends AsyncIterable<infer T> ? T : never;

/** The entry's PAX records (tar-stream has already applied path, linkpath and size). */
function paxOf(header: Header): PaxRecords {
  return (header as Header & { pax?: PaxRecords | null }).pax ?? {};
}

class EntryWriter {
  private readonly logger: Logger;
  /** Directories whose times are set last, by name: creating their children changes them. */
  private readonly directoryTimes = new Map<string, { path: string; atime: Date; mtime: Date }>();
  private readonly known = new KnownDirectories();
  private readonly background = new BackgroundWork(backgroundEntries);

  constructor(
    private readonly root: string,
    private readonly deps: UnpackDeps,
    private readonly limits: UnpackLimits,
    private readonly xattrTap: PaxXattrTap,
  ) {
    this.logger = deps.logger ?? silentLogger();
  }

  async write(header: Header, body: Source): Promise<void> {
    const name = this.entryName(header.name);
    const base = posix.basename(name);
    const parent = parentName(name);

    if (base === opaqueWhiteout) return this.opaque(parent);
    if (base.startsWith(whiteoutPrefix)) return this.whiteout(parent, base.slice(whiteoutPrefix.length), header);
    if (name === '') return this.rootEntry(header);

    const path = join(await this.directory(parent), base);
    const type = header.type ?? 'file';
    // a file replaces what is there only when its exclusive create finds something (file())
    if (type === 'file' || type === 'contiguous-file') return this.file(path, header, body);
    // a known name is a real directory at exactly `path` (an ancestor of a known name is known)
    const existing = this.known.has(name) ? 'directory' : await entryKind(path);
    if (existing !== undefined && !(existing === 'directory' && type === 'directory')) await this.remove(path);

    switch (type) {
      case 'directory':
        return this.directoryEntry(name, path, header, existing === 'directory');
      case 'symlink':
        return this.symlink(path, header);
      case 'link':
        return this.hardlink(path, header);
      case 'character-device':
      case 'block-device':
      case 'fifo':
        return this.deviceNode(path, header, type);
      default:
        throw new InvalidArgumentError(`tar entry ${JSON.stringify(name)} has unsupported type ${String(type)}`);
    }
  }

  /**
   * Waits for the descriptor work, then sets the deferred directory times on the directories still
   * there. Setting a directory's times changes no other directory's, so their order is free.
   */
  async finish(): Promise<void> {
    await this.background.drain();
    await mapBounded([...this.directoryTimes], directoryTimesAtOnce, ([name, entry]) => this.directoryTimesOf(name, entry));
  }

  /** Waits for the descriptor work still running, never throwing: for an unpack that is failing. */
  async settle(): Promise<void> {
    await this.background.settle();
  }

  private async directoryTimesOf(name: string, entry: { path: string; atime: Date; mtime: Date }): Promise<void> {
    if (this.known.has(name) && entry.path === this.hostPath(name)) {
      // Still the directory recorded, and no symlink on its path; lutimes does not follow the last component.
      await lutimes(entry.path, entry.atime, entry.mtime);
      return;
    }
    // A later entry may have replaced the directory or a parent with a symlink: re-resolve and
    // skip it if it no longer is the directory recorded.
    if ((await resolveInRoot(this.root, name)) !== entry.path) return;
    let handle: FileHandle;
    try {
      handle = await openDirectoryNoFollow(entry.path);
    } catch {
      return;
    }
    try {
      await handle.utimes(entry.atime, entry.mtime);
    } finally {
      await handle.close();
    }
  }

  private hostPath(name: string): string {
    return join(this.root, name);
  }

  /**
   * The host path of directory `name` (relative, already checked by entryName), resolved inside the
   * root and created with its missing parents; a name that resolves to itself becomes known.
   */
  private async directory(name: string): Promise<string> {
    if (this.known.has(name)) return this.hostPath(name);
    const dir = await resolveInRoot(this.root, name);
    await mkdirResolved(dir);
    // The resolution kept exactly the name's components, each lstat-ed as no symlink, and mkdir -p
    // succeeded over them: every one is a real directory.
    if (dir === this.hostPath(name)) this.known.add(name);
    return dir;
  }

  /** Removes what is at `path` (resolved inside the root) without following it, forgetting what was known below it. */
  private async remove(path: string): Promise<void> {
    this.known.forget(posix.relative(this.root, path));
    await removeEntry(path);
  }

  /** A new file at `path`; what an earlier entry left there (even a dangling symlink) is removed first. */
  private async createReplacing(path: string): Promise<FileHandle> {
    try {
      return await createExclusive(path, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    await this.remove(path);
    return createExclusive(path, 0o600);
  }

  /** The entry's path relative to the root ("" for the root itself); refuses `..` and oversize names. */
  private entryName(raw: string): string {
    const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) {
      throw new InvalidArgumentError(`tar entry ${JSON.stringify(raw)} has a ".." component: refusing a path that leaves the layer`);
    }
    this.checkLength(raw, 'path');
    for (const part of parts) {
      if (Buffer.byteLength(part) > this.limits.maxNameBytes) {
        throw new InvalidArgumentError(`tar entry ${JSON.stringify(raw.slice(0, 100))} has a component longer than ${this.limits.maxNameBytes} bytes`);
      }
      if (part.includes('\0')) throw new InvalidArgumentError(`tar entry ${JSON.stringify(raw)} contains a NUL byte`);
    }
    return parts.join('/');
  }

  private checkLength(text: string, what: string): void {
    if (Buffer.byteLength(text) > this.limits.maxPathBytes) {
      throw new InvalidArgumentError(`tar entry ${what} ${JSON.stringify(text.slice(0, 100))}… is longer than ${this.limits.maxPathBytes} bytes`);
    }
  }

  private async file(path: string, header: Header, body: Source): Promise<void> {
    const handle = await this.createReplacing(path);
    try {
      await writeBody(handle, body as AsyncIterable<Buffer>);
    } catch (error) {
      await handle.close();
      throw error;
    }
    const { atime, mtime } = times(header);
    await this.throughDescriptor(handle, path, header, async () => {
      await this.applyOwnerAndMode(handle, header);
      await handle.utimes(atime, mtime);
    });
  }

  /**
   * Runs `work` on `handle` and closes it: in the background, unless the entry has xattrs. Those
   * go on by name, which only the foreground may use, and after the chown, which clears
   * security.capability.
   */
  private async throughDescriptor(handle: FileHandle, path: string, header: Header, work: () => Promise<void>): Promise<void> {
    const finish = async (): Promise<void> => {
      try {
        await work();
      } finally {
        await handle.close();
      }
    };
    if (!hasXattrs(header)) return this.background.add(finish);
    await finish();
    await this.applyXattrs(path, header);
  }

  private async directoryEntry(name: string, path: string, header: Header, existed: boolean): Promise<void> {
    if (!existed) await mkdirResolved(path);
    // `path` is its name's own host path only when its parent is known: then it is known too
    if (path === this.hostPath(name)) this.known.add(name);
    await this.directoryMetadata(name, path, header);
  }

  private async rootEntry(header: Header): Promise<void> {
    if (header.type !== 'directory') {
      throw new InvalidArgumentError(`tar entry ${JSON.stringify(header.name)} names the layer root but is a ${String(header.type)}`);
    }
    await this.directoryMetadata('', this.root, header);
  }

  private async directoryMetadata(name: string, path: string, header: Header): Promise<void> {
    const handle = await openDirectoryNoFollow(path);
    await this.throughDescriptor(handle, path, header, () => this.applyOwnerAndMode(handle, header));
    // a directory listed twice takes the times of its last entry, as tar does
    this.directoryTimes.delete(name);
    this.directoryTimes.set(name, { path, ...times(header) });
  }

  private async symlink(path: string, header: Header): Promise<void> {
    const target = header.linkname ?? '';
    if (target === '') throw new InvalidArgumentError(`symlink ${JSON.stringify(header.name)} has an empty target`);
    this.checkLength(target, 'symlink target');
    // Stored as written: it is resolved later by the kernel inside the container's root.
    await symlink(target, path);
    await lchown(path, ...ids(header));
    await this.applyXattrs(path, header);
    const { atime, mtime } = times(header);
    await lutimes(path, atime, mtime);
  }

  private async hardlink(path: string, header: Header): Promise<void> {
    const linkName = this.entryName(header.linkname ?? '');
    if (linkName === '') throw new InvalidArgumentError(`hardlink ${JSON.stringify(header.name)} has no target`);
    const linkParent = parentName(linkName);
    const target = this.known.has(linkParent) ? this.hostPath(linkName) : (await resolveParentInRoot(this.root, linkName)).path;
    const kind = await entryKind(target);
    if (kind === undefined || kind === 'directory') {
      throw new InvalidArgumentError(
        `hardlink ${JSON.stringify(header.name)} points at ${JSON.stringify(header.linkname)}, which is ${
          kind === undefined ? 'not in this layer' : 'a directory'
        }: a hardlink must name an earlier file of the same layer`,
      );
    }
    // link(2) does not follow a symlink as its source: it links the symlink itself.
    await link(target, path);
  }

  private async deviceNode(path: string, header: Header, type: 'character-device' | 'block-device' | 'fifo'): Promise<void> {
    const kind = type === 'fifo' ? 'fifo' : type === 'character-device' ? 'char' : 'block';
    const [uid, gid] = ids(header);
    const mode = (header.mode ?? 0o600) & 0o7777;
    // chown(2) clears setuid/setgid, so a node with them gets its mode again afterwards
    await this.deps.devices.make(path, { kind, mode, major: header.devmajor ?? 0, minor: header.devminor ?? 0 });
    await lchown(path, uid, gid);
    if ((mode & 0o6000) !== 0) {
      const stats = await lstat(path);
      if ((stats.mode & 0o7777) !== mode) {
        await this.remove(path);
        throw new InvalidArgumentError(`device node ${JSON.stringify(header.name)} cannot keep setuid/setgid bits`);
      }
    }
    await this.applyXattrs(path, header);
    const { atime, mtime } = times(header);
    await lutimes(path, atime, mtime);
  }

  private async whiteout(parent: string, name: string, header: Header): Promise<void> {
    if (name === '' || name === '.' || name === '..' || name.includes('/')) {
      throw new InvalidArgumentError(`whiteout ${JSON.stringify(header.name)} does not name an entry: refusing it`);
    }
    const path = join(await this.directory(parent), name);
    await this.remove(path);
    // overlayfs hides a lower entry behind a 0:0 character device of the same name
    await this.deps.devices.make(path, { kind: 'char', mode: 0, major: 0, minor: 0 });
    await lchown(path, ...ids(header));
  }

  private async opaque(parent: string): Promise<void> {
    const dir = await this.directory(parent);
    if (!this.known.has(parent) && (await entryKind(dir)) !== 'directory') {
      throw new InvalidArgumentError(`opaque whiteout in ${JSON.stringify(parent)}, which is not a directory`);
    }
    await this.deps.xattrs.set(dir, 'trusted.overlay.opaque', Buffer.from('y'));
  }

  private async applyOwnerAndMode(handle: FileHandle, header: Header): Promise<void> {
    // chown first: it clears setuid/setgid, which the chmod then sets
    await handle.chown(...ids(header));
    await handle.chmod((header.mode ?? 0o644) & 0o7777);
  }

  private async applyXattrs(path: string, header: Header): Promise<void> {
    if (!hasXattrs(header)) return;
    for (const [name, value] of this.xattrTap.xattrsOf(header)) {
      if (!xattrAllowed(name)) {
        this.logger.warn({ entry: header.name, xattr: name }, 'skipping an xattr a layer may not set');
        continue;
      }
      await this.deps.xattrs.set(path, name, value);
    }
  }
}

/**
 * Attributes a layer may carry. trusted.overlay.* is overlayfs's own metadata (opaque, redirect,
 * metacopy): from a tar it could point one layer's entries at another's, so only the whiteout
 * conversion above sets it.
 */
export function xattrAllowed(name: string): boolean {
  if (name.startsWith('trusted.overlay.')) return false;
  return name.startsWith('user.') || name.startsWith('security.') || name.startsWith('trusted.') || name === 'system.posix_acl_access' || name === 'system.posix_acl_default';
}

function hasXattrs(header: Header): boolean {
  return Object.keys(paxOf(header)).some((key) => key.startsWith('SCHILY.xattr.'));
}

function ids(header: Header): [number, number] {
  const pax = paxOf(header);
  const uid = pax['uid'] !== undefined ? Number(pax['uid']) : (header.uid ?? 0);
  const gid = pax['gid'] !== undefined ? Number(pax['gid']) : (header.gid ?? 0);
  for (const [what, id] of [
    ['uid', uid],
    ['gid', gid],
  ] as const) {
    if (!Number.isInteger(id) || id < 0 || id > maxId) {
      throw new InvalidArgumentError(`tar entry ${JSON.stringify(header.name)} has ${what} ${String(id)}, outside 0..${maxId}`);
    }
  }
  return [uid, gid];
}

function paxTime(value: string | undefined): Date | undefined {
  if (value === undefined || !/^-?\d+(\.\d+)?$/.test(value)) return undefined;
  return new Date(Number(value) * 1000);
}

function times(header: Header): { atime: Date; mtime: Date } {
  const pax = paxOf(header);
  const mtime = paxTime(pax['mtime']) ?? header.mtime ?? new Date(0);
  return { mtime, atime: paxTime(pax['atime']) ?? mtime };
}
