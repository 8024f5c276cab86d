// The mount adapter: every mount and unmount berth performs goes through here, so logic above it
// can be unit-tested with a recorder and this file is integration-tested for real. Mounts are
// described as data (what a snapshotter returns, what a sandbox needs) and applied with the
// util-linux `mount`/`umount` binaries, each bounded by the caller's signal and its own timeout.
import { readFile, realpath } from 'node:fs/promises';
import type { Abortable } from '../abort.js';
import { failureText, runChild } from '../child-process.js';
import { InternalError } from '../errors.js';
import { parseMountinfo } from './mountinfo.js';

/** A mount as data, in the shape of the OCI runtime spec's mounts. */
export interface MountSpec {
  type: string;
  source: string;
  options: string[];
}

export interface Mounter {
  mount(spec: MountSpec, target: string, options?: Abortable): Promise<void>;
  /** Bind-mounts `source` onto `target` (mountOptions e.g. ["ro"], ["rbind"]). */
  bind(source: string, target: string, mountOptions?: string[], options?: Abortable): Promise<void>;
  /** Unmounts; `detach` does a lazy unmount. Not mounted is not an error. */
  unmount(target: string, options?: { detach?: boolean } & Abortable): Promise<void>;
  /** Mount points at or below `prefix`, deepest first (the order to unmount them in). */
  mountsUnder(prefix: string): Promise<string[]>;
}

/** The mount points of this process's mount namespace, in mountinfo order. */
async function hostMountPoints(): Promise<string[]> {
  return parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8')).map((entry) => entry.mountPoint);
}

/** Whether `path` is itself a mount point (a bind mount of the same filesystem counts). */
export async function isMountPoint(path: string): Promise<boolean> {
  return (await hostMountPoints()).includes(path);
}

/** Pure: the mount point of the filesystem holding absolute `path` (no symlinks in it): the deepest point above it. */
export function mountPointOf(path: string, points: readonly string[]): string {
  const within = (point: string): boolean => point === '/' || path === point || path.startsWith(`${point}/`);
  return points.filter(within).reduce((deepest, point) => (point.length > deepest.length ? point : deepest), '/');
}

/** The mount point of the filesystem holding `path` on this host. */
export async function hostMountPointOf(path: string): Promise<string> {
  return mountPointOf(await realpath(path), await hostMountPoints());
}

export class LinuxMounter implements Mounter {
  async mount(spec: MountSpec, target: string, options: Abortable = {}): Promise<void> {
    const args = ['-t', spec.type];
    if (spec.options.length > 0) args.push('-o', spec.options.join(','));
    args.push(spec.source, target);
    await run('mount', args, `mount ${spec.type} on ${target}`, options);
  }

  async bind(source: string, target: string, mountOptions: string[] = [], options: Abortable = {}): Promise<void> {
    const recursive = mountOptions.includes('rbind');
    await run('mount', [recursive ? '--rbind' : '--bind', source, target], `bind-mount ${source} on ${target}`, options);
    const rest = mountOptions.filter((o) => o !== 'rbind' && o !== 'bind');
    // A bind mount ignores flags like ro on the first call: they take effect on a remount.
    if (rest.length > 0) {
      await run('mount', ['-o', ['remount', 'bind', ...rest].join(','), target], `remount ${target} ${rest.join(',')}`, options);
    }
  }

  async unmount(target: string, options: { detach?: boolean } & Abortable = {}): Promise<void> {
    if (!(await isMountPoint(target))) return;
    await run('umount', options.detach ? ['-l', target] : [target], `unmount ${target}`, options);
  }

  async mountsUnder(prefix: string): Promise<string[]> {
    const points = await hostMountPoints();
    const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
    return points
      .filter((p) => p === prefix || p.startsWith(base))
      .sort((a, b) => b.length - a.length)
      .filter((p, i, all) => all.indexOf(p) === i);
  }
}

/** How long one mount or umount may take (a hung NFS server, a stuck FUSE daemon). */
const mountTimeoutMs = 30_000;

async function run(command: string, args: string[], what: string, options: Abortable): Promise<void> {
  const result = await runChild(command, args, {}, { signal: options.signal, timeoutMs: mountTimeoutMs, what: `${command} (${what})` });
  if (result.exitCode !== 0) throw new InternalError(`cannot ${what}: ${failureText(result)}`);
}
