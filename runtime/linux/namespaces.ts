// Pinned namespaces: a pod's network, IPC and UTS namespaces bind-mounted onto files, so they
// live without any process in them (berth runs no pause container). util-linux `unshare
// --net=FILE ...` creates and pins them in one exec; runc then joins them by path.
//
// Contract:
// - Every pin lives below one pin root (berth's sandboxes dir). The root is made a private
//   bind mount of itself once: unshare(1) requires pin files on a private-propagation mount
//   (a pin on a shared mount propagates into every peer mount namespace, where it keeps the
//   namespace alive after berth removes its own pin).
// - create() pins fresh namespaces under a dir inside the root, setting the hostname in the
//   new UTS namespace; a failure leaves nothing mounted.
// - remove() is idempotent: unmounted or missing pins are fine; every failure is reported.
// - list()/inspect() read /proc/self/mountinfo so a restarted berth can reconcile records with
//   the pins that really exist.
import { mkdir, open, readFile, rm, rmdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { cleanupSignal, type Abortable } from '../../common/abort.js';
import { failureText, runChild } from '../../common/child-process.js';
import { AlreadyExistsError, BerthError, InternalError, InvalidArgumentError, errorMessage } from '../../common/errors.js';
import { parseMountinfo } from '../../common/linux/mountinfo.js';
import type { Mounter } from '../../common/linux/mounts.js';

export type PinnableNamespace = 'network' | 'ipc' | 'uts';

export type NamespacePinPaths = Partial<Record<PinnableNamespace, string>>;

/** A namespace pinned on a file, as the kernel reports it. */
export interface PinnedNamespace {
  path: string;
  /** The kernel's name: net, ipc, uts, pid, mnt, ... */
  kind: string;
  /** The namespace inode: equal inodes are the same namespace. */
  inode: string;
}

export interface NamespacePinner {
  create(dir: string, kinds: Partial<Record<PinnableNamespace, boolean>>, hostname: string, options?: Abortable): Promise<NamespacePinPaths>;
  setHostname(utsPin: string, hostname: string, options?: Abortable): Promise<void>;
  remove(pins: NamespacePinPaths, options?: Abortable): Promise<void>;
  list(): Promise<PinnedNamespace[]>;
  inspect(path: string): Promise<PinnedNamespace | undefined>;
}

/** How long unshare (or nsenter) may take to pin namespaces or set a hostname. */
const namespaceTimeoutMs = 30_000;

const unshareFlags: Record<PinnableNamespace, string> = { network: '--net', ipc: '--ipc', uts: '--uts' };
const pinFileNames: Record<PinnableNamespace, string> = { network: 'net', ipc: 'ipc', uts: 'uts' };

// RFC 1123 labels joined by dots; also keeps a name from being read as an option by hostname(1).
const hostnamePattern = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

export function validateHostname(hostname: string): void {
  if (hostname.length > 64 || !hostnamePattern.test(hostname)) {
    throw new InvalidArgumentError(`hostname ${JSON.stringify(hostname)} must be at most 64 characters of DNS labels (letters, digits, "-", ".")`);
  }
}

/** nsfs mounts (pinned namespaces) at or below `prefix`. */
export function pinnedNamespacesIn(mountinfo: string, prefix: string): PinnedNamespace[] {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const pins: PinnedNamespace[] = [];
  for (const entry of parseMountinfo(mountinfo)) {
    if (entry.fsType !== 'nsfs' || !(entry.mountPoint === prefix || entry.mountPoint.startsWith(base))) continue;
    const match = /^(\w+):\[(\d+)\]$/.exec(entry.root);
    if (match?.[1] && match[2]) pins.push({ path: entry.mountPoint, kind: match[1], inode: match[2] });
  }
  return pins;
}

export class LinuxNamespacePinner implements NamespacePinner {
  private rootReady: Promise<void> | undefined;
  private readonly root: string;
  private readonly mounter: Mounter;
  private readonly mountinfoPath: string;

  constructor(options: { root: string; mounter: Mounter; mountinfoPath?: string }) {
    if (!isAbsolute(options.root)) throw new InvalidArgumentError(`namespace pin root ${options.root} must be an absolute path`);
    this.root = options.root;
    this.mounter = options.mounter;
    this.mountinfoPath = options.mountinfoPath ?? '/proc/self/mountinfo';
  }

  async create(dir: string, kinds: Partial<Record<PinnableNamespace, boolean>>, hostname: string, options: Abortable = {}): Promise<NamespacePinPaths> {
    const rel = relative(this.root, dir);
    if (!isAbsolute(dir) || rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new InvalidArgumentError(`namespace pin dir ${dir} must be inside the pin root ${this.root}`);
    }
    const wanted = (Object.keys(unshareFlags) as PinnableNamespace[]).filter((k) => kinds[k]);
    if (wanted.length === 0) return {};
    if (hostname && kinds.uts) validateHostname(hostname);
    await this.ensureRoot();
    await mkdir(dir, { recursive: true, mode: 0o700 });

    const pins: NamespacePinPaths = {};
    for (const kind of wanted) pins[kind] = join(dir, pinFileNames[kind]);
    const mounted = await this.list();
    for (const path of Object.values(pins)) {
      if (mounted.some((p) => p.path === path)) throw new AlreadyExistsError(`a namespace is already pinned at ${path}; remove it first`);
      // The bind-mount target must exist; an empty file left by a failed attempt is reused.
      await (await open(path, 'a', 0o444)).close();
    }

    const args = wanted.map((kind) => `${unshareFlags[kind]}=${pins[kind] ?? ''}`);
    // Setting the hostname inside the same unshare saves a second exec (nsenter) per pod.
    args.push(...(hostname && kinds.uts ? ['hostname', hostname] : ['true']));
    const limits = { signal: options.signal, timeoutMs: namespaceTimeoutMs, what: `unshare pinning namespaces in ${dir}` };
    try {
      const result = await runChild('unshare', args, {}, limits);
      if (result.exitCode !== 0) throw new InternalError(`cannot pin namespaces in ${dir}: ${failureText(result)}`);
    } catch (error) {
      // Killed or failed part-way, it may have pinned some: undone under a signal of its own.
      await this.remove(pins, { signal: cleanupSignal() }).catch(() => undefined);
      throw error;
    }
    return pins;
  }

  async setHostname(utsPin: string, hostname: string, options: Abortable = {}): Promise<void> {
    validateHostname(hostname);
    const limits = { signal: options.signal, timeoutMs: namespaceTimeoutMs, what: `nsenter setting hostname ${hostname}` };
    const result = await runChild('nsenter', [`--uts=${utsPin}`, 'hostname', hostname], {}, limits);
    if (result.exitCode !== 0) throw new InternalError(`cannot set hostname ${hostname} in UTS namespace ${utsPin}: ${failureText(result)}`);
  }

  async remove(pins: NamespacePinPaths, options: Abortable = {}): Promise<void> {
    const errors: string[] = [];
    const dirs = new Set<string>();
    for (const path of Object.values(pins)) {
      if (!path) continue;
      dirs.add(dirname(path));
      try {
        // A pin can be stacked (pinned twice on one file): unmount until the file is bare.
        for (let layer = 0; layer < 8 && (await this.inspect(path)); layer++) await this.mounter.unmount(path, options);
        await rm(path, { force: true });
      } catch (error) {
        errors.push(`${path}: ${errorMessage(error)}`);
      }
    }
    for (const dir of dirs) {
      await rmdir(dir).catch(() => undefined);
    }
    if (errors.length > 0) throw new InternalError(`cannot remove pinned namespaces: ${errors.join('; ')}`);
  }

  async list(): Promise<PinnedNamespace[]> {
    return pinnedNamespacesIn(await readFile(this.mountinfoPath, 'utf8'), this.root);
  }

  async inspect(path: string): Promise<PinnedNamespace | undefined> {
    return (await this.list()).find((p) => p.path === path);
  }

  /** Unmounts the pin root's private bind mount once no pin is left below it (shutdown, tests). */
  async releaseRoot(): Promise<void> {
    const left = await this.list();
    if (left.length > 0) throw new BerthError('FAILED_PRECONDITION', `${left.length} namespace pins remain under ${this.root}; remove them first`);
    await this.mounter.unmount(this.root);
    this.rootReady = undefined;
  }

  private ensureRoot(): Promise<void> {
    this.rootReady ??= this.makeRootPrivate().catch((error: unknown) => {
      this.rootReady = undefined;
      throw error;
    });
    return this.rootReady;
  }

  private async makeRootPrivate(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const self = parseMountinfo(await readFile(this.mountinfoPath, 'utf8'))
      .filter((e) => e.mountPoint === this.root)
      .at(-1);
    if (!self) await this.mounter.bind(this.root, this.root, ['rbind', 'private']);
    else if (self.shared) await this.mounter.mount({ type: 'none', source: 'none', options: ['private'] }, this.root);
  }
}
