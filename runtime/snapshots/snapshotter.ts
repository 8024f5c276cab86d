// The overlay snapshotter, in containerd's vocabulary (core/snapshots/snapshotter.go).
//
// A snapshot is a directory tree with a kind:
//   committed  an immutable layer, named by the OCI chain ID of the layers up to it
//              (see chain-id.ts), so images that share bottom layers share snapshots;
//   active     a writable tree on top of an optional committed parent (a container's rootfs,
//              or a layer being unpacked), named by a caller-chosen key;
//   view       a read-only tree on top of a committed parent.
//
// Lifecycle and contract:
//   prepareLayer(key, parent?)  a new active snapshot to unpack one layer into; returns its
//                               directory. Fails with ALREADY_EXISTS if `key` exists. The
//                               caller unpacks (unpack-layer.ts) and commits, or removes `key`
//                               when the unpack fails.
//   commit(name, key)           turns active `key` into committed `name` atomically (one record
//                               rename). Idempotent on `name`: if it is already committed, the
//                               active `key` is removed and the existing snapshot returned, so
//                               two pulls racing on one layer both succeed.
//   prepare(key, parent?)       a container's writable rootfs; returns the MOUNTS AS DATA
//                               (overlay: lowerdir = parent chain top to bottom, upperdir,
//                               workdir); the caller mounts. ALREADY_EXISTS if `key` exists.
//   view(key, parent?)          the same, read-only.
//   mounts(key)                 the mounts of an existing active or view snapshot.
//   remove(key)                 any kind; FAILED_PRECONDITION while another snapshot has it as
//                               parent; NOT_FOUND the second time. The caller unmounts first.
//   layers(key)                 an active snapshot's own dir and its parents' dirs, as data.
//   usage(key)                  bytes and inodes of the snapshot's own tree (the upper dir).
//   stat(key), list()           records as data.
//
// On disk: `<root>/snapshots/<id>/{fs,work,snapshot.json}` with small numeric ids, because
// overlayfs takes all its options in one page (4096 bytes here): a lowerdir list of long paths
// caps the layer count. With root "/var/lib/berth/snapshots" each layer costs ~38 bytes, ~100
// layers; past the limit prepare fails with RESOURCE_EXHAUSTED instead of a kernel EINVAL.
// The record is written last and atomically: a directory without one is an interrupted prepare
// and is removed on open; an unreadable record is moved to `<root>/quarantine/` and logged.
// Only the bookkeeping (keys, parents, directory ids, renames) is serialized: a prepare's
// directories and durable record write, and a removal's delete of the renamed tree, happen
// outside the queue, so containers created at once do not wait on each other's fsync.
// Removal renames the directory into `<root>/removing/` first, so a crash never leaves half a
// snapshot that still looks valid.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError, ResourceExhaustedError, errorMessage } from '../../common/errors.js';
import { diskUsage } from '../../common/disk-usage.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import type { MountSpec } from '../../common/linux/mounts.js';
import { readSnapshotRecord, writeSnapshotRecord, type SnapshotKind, type SnapshotRecord } from './snapshot-record.js';

export interface SnapshotInfo {
  key: string;
  kind: SnapshotKind;
  parent?: string;
  createdAt: string;
}

export interface SnapshotUsage {
  /** Allocated bytes (st_blocks × 512), each inode counted once. */
  bytes: number;
  inodes: number;
}

export interface SnapshotterOptions {
  logger?: Logger;
  /** The kernel's limit on one mount's option string: the page size minus the terminating NUL. */
  maxMountOptionBytes?: number;
}

const maxKeyLength = 1024;

export class OverlaySnapshotter {
  private readonly records = new Map<string, SnapshotRecord>();
  /** Snapshots whose directories and record are being written: their keys and parents are taken. */
  private readonly preparing = new Map<string, SnapshotRecord>();
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly root: string,
    private readonly logger: Logger,
    private readonly maxMountOptionBytes: number,
  ) {}

  /** Opens (creating if needed) the snapshotter at `root` and loads its records. */
  static async open(root: string, options: SnapshotterOptions = {}): Promise<OverlaySnapshotter> {
    const snapshotter = new OverlaySnapshotter(root, options.logger ?? silentLogger(), options.maxMountOptionBytes ?? 4095);
    await snapshotter.load();
    return snapshotter;
  }

  async prepareLayer(key: string, parent?: string): Promise<{ key: string; dir: string }> {
    const record = await this.create(key, 'active', parent);
    return { key, dir: this.fsDir(record) };
  }

  async prepare(key: string, parent?: string): Promise<MountSpec[]> {
    return this.createWithMounts(key, 'active', parent);
  }

  async view(key: string, parent?: string): Promise<MountSpec[]> {
    return this.createWithMounts(key, 'view', parent);
  }

  async mounts(key: string): Promise<MountSpec[]> {
    const record = this.get(key);
    if (record.kind === 'committed') {
      throw new FailedPreconditionError(`snapshot ${key} is committed: mount it through prepare() or view() of a child`);
    }
    return this.mountsOf(record);
  }

  /** An active snapshot's own directory and its parents' directories, top to bottom (docker diff reads them). */
  layers(key: string): { upper: string; lowers: string[] } {
    const record = this.get(key);
    if (record.kind !== 'active') throw new FailedPreconditionError(`snapshot ${key} is ${record.kind}: only an active one has a writable layer`);
    return { upper: this.fsDir(record), lowers: this.lowerChain(record.parent).map((r) => this.fsDir(r)) };
  }

  async commit(name: string, key: string): Promise<SnapshotInfo> {
    checkKey(name);
    return this.serialized(async () => {
      const existing = this.records.get(name);
      if (existing?.kind === 'committed') {
        if (this.records.get(key)?.kind === 'active') await this.removeRecord(this.get(key));
        return info(existing);
      }
      if (existing) throw new AlreadyExistsError(`cannot commit ${key} as ${name}: ${name} is an ${existing.kind} snapshot`);
      if (this.preparing.has(name)) throw new AlreadyExistsError(`cannot commit ${key} as ${name}: a snapshot ${name} is being prepared`);
      const active = this.get(key);
      if (active.kind !== 'active') {
        throw new FailedPreconditionError(`cannot commit snapshot ${key}: it is ${active.kind}, only an active snapshot can be committed`);
      }
      const committed: SnapshotRecord = { ...active, kind: 'committed', key: name };
      await writeSnapshotRecord(this.dirOf(active), committed);
      this.records.delete(key);
      this.records.set(name, committed);
      await rm(join(this.dirOf(active), 'work'), { recursive: true, force: true });
      return info(committed);
    });
  }

  async remove(key: string): Promise<void> {
    const trash = await this.serialized(async () => {
      const record = this.get(key);
      const children = [...this.records.values(), ...this.preparing.values()].filter((r) => r.parent === key).map((r) => r.key);
      if (children.length > 0) {
        throw new FailedPreconditionError(`cannot remove snapshot ${key}: ${children.length} snapshot(s) still use it as parent (${children.slice(0, 3).join(', ')}); remove them first`);
      }
      return this.detachRecord(record);
    });
    await rm(trash, { recursive: true, force: true });
  }

  stat(key: string): SnapshotInfo {
    return info(this.get(key));
  }

  list(): SnapshotInfo[] {
    return [...this.records.values()].map(info);
  }

  async usage(key: string): Promise<SnapshotUsage> {
    return diskUsage(this.fsDir(this.get(key)));
  }

  private get(key: string): SnapshotRecord {
    const record = this.records.get(key);
    if (!record) throw new NotFoundError(`snapshot ${JSON.stringify(key)} does not exist`);
    return record;
  }

  private dirOf(record: SnapshotRecord): string {
    return join(this.root, 'snapshots', String(record.id));
  }

  private fsDir(record: SnapshotRecord): string {
    return join(this.dirOf(record), 'fs');
  }

  /** The committed chain below `parent`, top first. */
  private lowerChain(parent: string | undefined): SnapshotRecord[] {
    const chain: SnapshotRecord[] = [];
    for (let key = parent; key !== undefined; key = chain.at(-1)?.parent) {
      const record = this.records.get(key);
      if (!record) throw new NotFoundError(`parent snapshot ${JSON.stringify(key)} does not exist`);
      if (chain.length > this.records.size) throw new FailedPreconditionError(`snapshot parents of ${parent ?? ''} form a loop`);
      chain.push(record);
    }
    return chain;
  }

  private mountsOf(record: SnapshotRecord): MountSpec[] {
    const lowers = this.lowerChain(record.parent).map((r) => this.fsDir(r));
    if (record.kind === 'view') {
      const only = lowers.length === 1 ? lowers[0] : undefined;
      if (lowers.length === 0) return [{ type: 'bind', source: this.fsDir(record), options: ['ro', 'rbind'] }];
      if (only !== undefined) return [{ type: 'bind', source: only, options: ['ro', 'rbind'] }];
      return [this.overlay([`lowerdir=${lowers.join(':')}`])];
    }
    if (lowers.length === 0) return [{ type: 'bind', source: this.fsDir(record), options: ['rw', 'rbind'] }];
    return [this.overlay([`workdir=${join(this.dirOf(record), 'work')}`, `upperdir=${this.fsDir(record)}`, `lowerdir=${lowers.join(':')}`])];
  }

  private overlay(options: string[]): MountSpec {
    // index=off: with the index on, overlayfs refuses lower dirs shared by several mounts
    const all = ['index=off', ...options];
    const bytes = Buffer.byteLength(all.join(','));
    if (bytes > this.maxMountOptionBytes) {
      throw new ResourceExhaustedError(
        `overlay mount options are ${bytes} bytes, over the kernel's ${this.maxMountOptionBytes}: too many layers for snapshot root ${this.root}; use a shorter root path or an image with fewer layers`,
      );
    }
    return { type: 'overlay', source: 'overlay', options: all };
  }

  private async create(key: string, kind: SnapshotKind, parent: string | undefined): Promise<SnapshotRecord> {
    checkKey(key);
    const record = await this.serialized(async () => {
      if (this.records.has(key) || this.preparing.has(key)) throw new AlreadyExistsError(`snapshot ${JSON.stringify(key)} already exists`);
      if (parent !== undefined) {
        const parentRecord = this.records.get(parent);
        if (!parentRecord) throw new NotFoundError(`parent snapshot ${JSON.stringify(parent)} does not exist: unpack the layer first`);
        if (parentRecord.kind !== 'committed') {
          throw new FailedPreconditionError(`parent snapshot ${parent} is ${parentRecord.kind}: only a committed snapshot can be a parent`);
        }
      }
      const record: SnapshotRecord = {
        version: 1,
        id: await this.allocateDir(),
        kind,
        key,
        ...(parent !== undefined ? { parent } : {}),
        createdAt: new Date().toISOString(),
      };
      this.preparing.set(key, record);
      return record;
    });
    const dir = this.dirOf(record);
    try {
      await mkdir(join(dir, 'fs'), { mode: 0o755 });
      if (kind === 'active') await mkdir(join(dir, 'work'), { mode: 0o700 });
      await writeSnapshotRecord(dir, record);
    } catch (error) {
      this.preparing.delete(key);
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    this.preparing.delete(key);
    this.records.set(key, record);
    return record;
  }

  /** A snapshot whose mounts cannot be built (too many layers) is not left behind. */
  private async createWithMounts(key: string, kind: SnapshotKind, parent: string | undefined): Promise<MountSpec[]> {
    const record = await this.create(key, kind, parent);
    try {
      return this.mountsOf(record);
    } catch (error) {
      await this.serialized(() => this.removeRecord(record));
      throw error;
    }
  }

  /** Creates the next numeric snapshot directory; mkdir without `recursive` makes the claim atomic. */
  private async allocateDir(): Promise<number> {
    for (;;) {
      const id = this.nextId++;
      try {
        await mkdir(join(this.root, 'snapshots', String(id)), { mode: 0o700 });
        return id;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }

  private async removeRecord(record: SnapshotRecord): Promise<void> {
    await rm(await this.detachRecord(record), { recursive: true, force: true });
  }

  /** Renames the snapshot's directory into removing/ and forgets it; returns where it went, for the caller to delete. */
  private async detachRecord(record: SnapshotRecord): Promise<string> {
    const trash = join(this.root, 'removing', `${record.id}-${randomBytes(4).toString('hex')}`);
    await rename(this.dirOf(record), trash);
    this.records.delete(record.key);
    return trash;
  }

  private async load(): Promise<void> {
    for (const sub of ['snapshots', 'removing', 'quarantine']) await mkdir(join(this.root, sub), { recursive: true, mode: 0o700 });
    for (const leftover of await readdir(join(this.root, 'removing'))) {
      await rm(join(this.root, 'removing', leftover), { recursive: true, force: true });
    }
    for (const name of await readdir(join(this.root, 'snapshots'))) {
      const dir = join(this.root, 'snapshots', name);
      const id = /^[1-9]\d*$/.test(name) ? Number(name) : undefined;
      if (id !== undefined) this.nextId = Math.max(this.nextId, id + 1);
      let record: SnapshotRecord;
      try {
        record = await readSnapshotRecord(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          this.logger.info({ dir }, 'removing an interrupted snapshot prepare');
          await rename(dir, join(this.root, 'removing', name));
          await rm(join(this.root, 'removing', name), { recursive: true, force: true });
        } else {
          await this.quarantine(dir, name, errorMessage(error));
        }
        continue;
      }
      if (record.id !== id || this.records.has(record.key)) {
        await this.quarantine(dir, name, `record id ${record.id} or key ${record.key} does not belong in ${dir}`);
        continue;
      }
      this.records.set(record.key, record);
    }
    for (const record of this.records.values()) {
      if (record.parent !== undefined && !this.records.has(record.parent)) {
        this.logger.warn({ snapshot: record.key, parent: record.parent }, 'snapshot parent is missing: its mounts will fail');
      }
    }
  }

  private async quarantine(dir: string, name: string, reason: string): Promise<void> {
    const target = join(this.root, 'quarantine', `${name}-${Date.now()}`);
    this.logger.warn({ dir, quarantined: target, reason }, 'quarantining an unreadable snapshot record');
    await rename(dir, target);
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function checkKey(key: string): void {
  if (key === '' || key.length > maxKeyLength) {
    throw new InvalidArgumentError(`snapshot key must be 1 to ${maxKeyLength} characters, got ${key.length}`);
  }
}

function info(record: SnapshotRecord): SnapshotInfo {
  return {
    key: record.key,
    kind: record.kind,
    ...(record.parent !== undefined ? { parent: record.parent } : {}),
    createdAt: record.createdAt,
  };
}
