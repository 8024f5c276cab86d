// The mount adapter: every mount and unmount berth performs goes through here, so logic above it
// can be unit-tested with a recorder and this file is integration-tested for real. Mounts are
// described as data (what a snapshotter returns, what a sandbox needs) and applied with the
// util-linux `mount`/`umount` binaries.
import { execa } from 'execa';
import { readFile, realpath } from 'node:fs/promises';
import { BerthError, InternalError, errorMessage } from '../../common/errors.js';

/** A mount as data, in the shape of the OCI runtime spec's mounts. */
export interface MountSpec {
  type: string;
  source: string;
  options: string[];
}

export interface Mounter {
  mount(spec: MountSpec, target: string): Promise<void>;
  /** Bind-mounts `source` onto `target` (options e.g. ["ro"], ["rbind"]). */
  bind(source: string, target: string, options?: string[]): Promise<void>;
  /** Unmounts; `detach` does a lazy unmount. Not mounted is not an error. */
  unmount(target: string, options?: { detach?: boolean }): Promise<void>;
  /** Mount points at or below `prefix`, deepest first (the order to unmount them in). */
  mountsUnder(prefix: string): Promise<string[]>;
}

/** Decodes the octal escapes (\040 for space, ...) the kernel uses in mountinfo. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

export function parseMountinfo(text: string): string[] {
  const points: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const point = fields[4];
    if (point) points.push(unescapeMountPath(point));
  }
  return points;
}

/** Pure: the mount point of the filesystem holding absolute `path` (no symlinks in it): the deepest point above it. */
export function mountPointOf(path: string, points: readonly string[]): string {
  const within = (point: string): boolean => point === '/' || path === point || path.startsWith(`${point}/`);
  return points.filter(within).reduce((deepest, point) => (point.length > deepest.length ? point : deepest), '/');
}

/** The mount point of the filesystem holding `path` on this host. */
export async function hostMountPointOf(path: string): Promise<string> {
  return mountPointOf(await realpath(path), parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8')));
}

export class LinuxMounter implements Mounter {
  async mount(spec: MountSpec, target: string): Promise<void> {
    const args = ['-t', spec.type];
    if (spec.options.length > 0) args.push('-o', spec.options.join(','));
    args.push(spec.source, target);
    await run('mount', args, `mount ${spec.type} on ${target}`);
  }

  async bind(source: string, target: string, options: string[] = []): Promise<void> {
    const recursive = options.includes('rbind');
    await run('mount', [recursive ? '--rbind' : '--bind', source, target], `bind-mount ${source} on ${target}`);
    const rest = options.filter((o) => o !== 'rbind' && o !== 'bind');
    // A bind mount ignores flags like ro on the first call: they take effect on a remount.
    if (rest.length > 0) {
      await run('mount', ['-o', ['remount', 'bind', ...rest].join(','), target], `remount ${target} ${rest.join(',')}`);
    }
  }

  async unmount(target: string, options: { detach?: boolean } = {}): Promise<void> {
    if (!(await this.mountsUnder(target)).includes(target)) return;
    await run('umount', options.detach ? ['-l', target] : [target], `unmount ${target}`);
  }

  async mountsUnder(prefix: string): Promise<string[]> {
    const points = parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
    const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
    return points
      .filter((p) => p === prefix || p.startsWith(base))
      .sort((a, b) => b.length - a.length)
      .filter((p, i, all) => all.indexOf(p) === i);
  }
}

async function run(command: string, args: string[], what: string): Promise<void> {
  try {
    await execa(command, args, { timeout: 30_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    if (error instanceof BerthError) throw error;
    throw new InternalError(`cannot ${what}: ${stderr || errorMessage(error)}`, { cause: error });
  }
}
