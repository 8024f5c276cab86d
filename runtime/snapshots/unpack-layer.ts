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
// - entry count, name lengths, UIDs/GIDs and xattr namespaces are bounded.
// The diff_id (sha256 of the uncompressed tar) is computed from the bytes as they stream by.
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { lchown, link, lstat, lutimes, symlink, type FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { extract, type Extract, type Header } from 'tar-stream';
import { BerthError, InvalidArgumentError, ResourceExhaustedError, errorMessage } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import { hashDigest, sha256Hasher, type Digest } from '../images/digest.js';
import type { DeviceNodes } from '../linux/device-nodes.js';
import {
  createExclusive,
  entryKind,
  mkdirResolved,
  openDirectoryNoFollow,
  removeEntry,
  resolveInRoot,
  resolveParentInRoot,
} from '../linux/secure-path.js';
import type { Xattrs } from '../linux/xattr.js';

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

/** Unpacks the uncompressed tar `tar` into `dir` (an existing, trusted, symlink-free directory). */
export async function unpackLayer(
  tar: Readable,
  dir: string,
  deps: UnpackDeps,
  limits: UnpackLimits = defaultUnpackLimits,
): Promise<UnpackResult> {
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
  const streamed = pipeline(tar, hasher, archive);
  streamed.catch(() => undefined); // awaited below; this only marks it handled meanwhile

  const unpacker = new EntryWriter(dir, deps, limits);
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
  } catch (error) {
    tar.destroy();
    if (error instanceof BerthError) throw error;
    throw new InvalidArgumentError(`cannot unpack layer into ${dir}: ${errorMessage(error)}`, { cause: error });
  }
  await unpacker.finish();
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
  /** Directories whose times are set last: creating their children changes them. */
  private readonly directoryTimes: { name: string; path: string; atime: Date; mtime: Date }[] = [];

  constructor(
    private readonly root: string,
    private readonly deps: UnpackDeps,
    private readonly limits: UnpackLimits,
  ) {
    this.logger = deps.logger ?? silentLogger();
  }

  async write(header: Header, body: Source): Promise<void> {
    const name = this.entryName(header.name);
    const base = posix.basename(name);
    const parent = posix.dirname(name);

    if (base === opaqueWhiteout) return this.opaque(parent);
    if (base.startsWith(whiteoutPrefix)) return this.whiteout(parent, base.slice(whiteoutPrefix.length), header);
    if (name === '') return this.rootEntry(header);

    const { dir, path } = await resolveParentInRoot(this.root, name);
    await mkdirResolved(dir);
    const existing = await entryKind(path);
    const type = header.type ?? 'file';
    if (existing !== undefined && !(existing === 'directory' && type === 'directory')) await removeEntry(path);

    switch (type) {
      case 'file':
      case 'contiguous-file':
        return this.file(path, header, body);
      case 'directory':
        return this.directory(name, path, header, existing === 'directory');
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

  /** Sets the deferred directory times, deepest first, on the directories still there. */
  async finish(): Promise<void> {
    for (const entry of this.directoryTimes.reverse()) {
      // A later entry may have replaced the directory or a parent with a symlink: re-resolve and
      // skip it if it no longer is the directory recorded.
      if ((await resolveInRoot(this.root, entry.name)) !== entry.path) continue;
      let handle: FileHandle;
      try {
        handle = await openDirectoryNoFollow(entry.path);
      } catch {
        continue;
      }
      try {
        await handle.utimes(entry.atime, entry.mtime);
      } finally {
        await handle.close();
      }
    }
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
        throw new InvalidArgumentError(
          `tar entry ${JSON.stringify(raw.slice(0, 100))} has a component longer than ${this.limits.maxNameBytes} bytes`,
        );
      }
      if (part.includes('\0')) throw new InvalidArgumentError(`tar entry ${JSON.stringify(raw)} contains a NUL byte`);
    }
    return parts.join('/');
  }

  private checkLength(text: string, what: string): void {
    if (Buffer.byteLength(text) > this.limits.maxPathBytes) {
      throw new InvalidArgumentError(
        `tar entry ${what} ${JSON.stringify(text.slice(0, 100))}… is longer than ${this.limits.maxPathBytes} bytes`,
      );
    }
  }

  private async file(path: string, header: Header, body: Source): Promise<void> {
    const handle = await createExclusive(path, 0o600);
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) await handle.write(chunk);
      await this.applyOwnerAndMode(handle, header);
      await this.applyXattrs(path, header);
      const { atime, mtime } = times(header);
      await handle.utimes(atime, mtime);
    } finally {
      await handle.close();
    }
  }

  private async directory(name: string, path: string, header: Header, existed: boolean): Promise<void> {
    if (!existed) await mkdirResolved(path);
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
    try {
      await this.applyOwnerAndMode(handle, header);
    } finally {
      await handle.close();
    }
    await this.applyXattrs(path, header);
    this.directoryTimes.push({ name, path, ...times(header) });
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
    const target = (await resolveParentInRoot(this.root, linkName)).path;
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
        await removeEntry(path);
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
    const dir = await resolveInRoot(this.root, parent);
    await mkdirResolved(dir);
    const path = posix.join(dir, name);
    await removeEntry(path);
    // overlayfs hides a lower entry behind a 0:0 character device of the same name
    await this.deps.devices.make(path, { kind: 'char', mode: 0, major: 0, minor: 0 });
    await lchown(path, ...ids(header));
  }

  private async opaque(parent: string): Promise<void> {
    const dir = await resolveInRoot(this.root, parent);
    await mkdirResolved(dir);
    if ((await entryKind(dir)) !== 'directory') {
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
    for (const [key, value] of Object.entries(paxOf(header))) {
      if (!key.startsWith('SCHILY.xattr.')) continue;
      const name = key.slice('SCHILY.xattr.'.length);
      if (!xattrAllowed(name)) {
        this.logger.warn({ entry: header.name, xattr: name }, 'skipping an xattr a layer may not set');
        continue;
      }
      // tar-stream decodes PAX values as UTF-8: text attributes survive, binary ones may not
      await this.deps.xattrs.set(path, name, Buffer.from(value, 'utf8'));
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
  return (
    name.startsWith('user.') ||
    name.startsWith('security.') ||
    name.startsWith('trusted.') ||
    name === 'system.posix_acl_access' ||
    name === 'system.posix_acl_default'
  );
}

function ids(header: Header): [number, number] {
  const pax = paxOf(header);
  const uid = pax['uid'] !== undefined ? Number(pax['uid']) : header.uid ?? 0;
  const gid = pax['gid'] !== undefined ? Number(pax['gid']) : header.gid ?? 0;
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
