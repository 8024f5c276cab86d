// Which host paths a container may get, and where its log may be written.
//
// Mount policy (every container, privileged or not, unless said otherwise):
//  - berth's state dir and everything in it is refused: it holds every container's bundle, conmon's
//    attach and control sockets (a pod that reaches them types into other containers' stdin) and
//    the pinned namespaces of every pod.
//  - the CRI socket and its directory are refused: the socket is root on the node (create a
//    privileged pod, mount /); the directory is refused too so a restarted berth's new socket is
//    not reachable either. What else lies below it stays allowed (tests put kubelet dirs there).
//  - the root dir itself and berth's stores in it (content, images, snapshots, records) are
//    refused: records are trusted after a restart and images are shared by every pod. Other
//    directories in the root dir stay allowed: the kubelet's defaults to /var/lib/berth/kubelet,
//    whose volumes pods must mount.
//  - docker's named volumes (<root-dir>/volumes, runtime/volumes/volume-store.ts): only a
//    volume's data, <root-dir>/volumes/<name>/_data and below, may be mounted; the volumes dir and
//    a volume's own dir hold the records berth trusts after a restart.
//  - the host's /proc and /sys (or anything in them) only read-only unless privileged: a writable
//    /proc/sys/kernel/core_pattern or /sys is a known way out of a container. Read-only mounts stay
//    allowed, as node agents (node-exporter) need them.
//  - no mount may replace the container's own /proc or /sys (they carry its masked paths).
// Ancestors of these paths ("/", "/run", "/var/lib") stay allowed, as in containerd and CRI-O: a
// pod that may mount the host's "/" is root on the node already, and node agents rely on it.
// Paths are compared after resolving symlinks, so a link to the state dir is refused like the
// state dir. The check runs at CreateContainer; a link swapped in between that and runc's mount is
// the kubelet's host (and its hostPath volumes) to keep honest, as with every runtime.
import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, join, normalize } from 'node:path';
import type { Mount__Output } from '../../api/cri/messages.js';
import { InvalidArgumentError, PermissionDeniedError } from '../../common/errors.js';
import { checkAbsolutePath, checkRelativePath, quoted } from './fields.js';

export interface BerthPaths {
  socketPath: string;
  rootDir: string;
  stateDir: string;
}

/** berth's own stores under its root dir (runtime/images, runtime/snapshots, the record stores). */
const rootDirStores = ['content', 'images', 'snapshots', 'sandboxes', 'containers'];

/** Kernel filesystems a container sees its own view of; the host's may only be read. */
const kernelFilesystems = ['/proc', '/sys'];

function isAtOrBelow(path: string, parent: string): boolean {
  return path === parent || path.startsWith(parent === '/' ? '/' : `${parent}/`);
}

/** The path with every symlink resolved; a missing tail stays as given (it would be created). */
async function resolved(path: string): Promise<string> {
  const tail: string[] = [];
  let current = normalize(path);
  for (;;) {
    try {
      return join(await realpath(current), ...tail.reverse());
    } catch {
      if (current === '/') return normalize(path);
      tail.push(basename(current));
      current = dirname(current);
    }
  }
}

interface Protected {
  /** Refused with everything below them. */
  trees: string[];
  /** Refused themselves only. */
  exact: string[];
  /** Refused with everything below them but a volume's data (<dir>/<name>/_data). */
  volumes: string[];
}

/** A volume's data dir or below, relative to the volumes dir. */
const volumeData = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+\/_data(\/|$)/;

export class HostPathPolicy {
  private protectedPaths: Promise<Protected> | undefined;

  constructor(private readonly paths: BerthPaths) {}

  private protected(): Promise<Protected> {
    this.protectedPaths ??= (async () => {
      const { socketPath, rootDir, stateDir } = this.paths;
      const trees = [stateDir, ...rootDirStores.map((store) => join(rootDir, store))];
      const exact = [rootDir, socketPath, dirname(socketPath)];
      const volumes = join(rootDir, 'volumes');
      return {
        trees: [...new Set([...trees, ...(await Promise.all(trees.map(resolved)))])],
        exact: [...new Set([...exact, ...(await Promise.all(exact.map(resolved)))])],
        volumes: [...new Set([volumes, await resolved(volumes)])],
      };
    })();
    return this.protectedPaths;
  }

  async checkMounts(mounts: readonly Mount__Output[], privileged: boolean): Promise<void> {
    for (const [index, mount] of mounts.entries()) await this.checkMount(`mounts[${index}]`, mount, privileged);
  }

  private async checkMount(field: string, mount: Mount__Output, privileged: boolean): Promise<void> {
    checkAbsolutePath(`${field}.container_path`, mount.containerPath);
    const destination = normalize(mount.containerPath).replace(/(.)\/$/, '$1');
    if (destination === '/') throw new InvalidArgumentError(`${field}.container_path "/" would replace the container's root; use the image for that`);
    if (!privileged && kernelFilesystems.includes(destination)) {
      throw new InvalidArgumentError(`${field}.container_path ${quoted(mount.containerPath)} would replace the container's own ${destination}, which hides the host's sensitive files`);
    }
    // An image volume has no host path (the runtime answers whether it supports them).
    if (mount.hostPath === '' && mount.image?.image) return;
    checkAbsolutePath(`${field}.host_path`, mount.hostPath);
    const lexical = normalize(mount.hostPath);
    const real = await resolved(mount.hostPath);
    const { trees, exact, volumes } = await this.protected();
    for (const path of new Set([lexical, real])) {
      const named = path === lexical ? quoted(mount.hostPath) : `${quoted(mount.hostPath)} (resolves to ${quoted(path)})`;
      const inVolumes = volumes.find((dir) => isAtOrBelow(path, dir));
      if (inVolumes !== undefined && !volumeData.test(path.slice(inVolumes.length + 1))) {
        throw new PermissionDeniedError(`${field}.host_path ${named} is berth's volume store; mount a volume's data (<root-dir>/volumes/NAME/_data) or give berth run -v NAME:/path`);
      }
      if (trees.some((tree) => isAtOrBelow(path, tree)) || exact.includes(path)) {
        throw new PermissionDeniedError(`${field}.host_path ${named} is berth's own state (its CRI socket, state or stores); pods may not mount it`);
      }
      if (!privileged && !mount.readonly && kernelFilesystems.some((fs) => isAtOrBelow(path, fs))) {
        throw new PermissionDeniedError(`${field}.host_path ${named} is the host's kernel filesystem: mount it read-only, or run the container privileged`);
      }
    }
  }
}

/**
 * The container's log file, log_directory/log_path: log_path must stay inside the directory, and
 * nothing on the way may be a symlink, or conmon (which opens and appends as root) would write
 * wherever the link points. A missing part is fine: berth creates it as a directory.
 */
export async function checkLogPath(logDirectory: string, logPath: string): Promise<void> {
  if (logPath === '') return;
  checkRelativePath('log_path', logPath);
  if (logDirectory === '') throw new InvalidArgumentError(`log_path ${quoted(logPath)} needs the pod sandbox's log_directory, which is empty`);
  const parts = logPath.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.length === 0) throw new InvalidArgumentError(`log_path ${quoted(logPath)} names no file`);
  let current = logDirectory;
  for (const [index, part] of parts.entries()) {
    current = join(current, part);
    const info = await lstat(current).catch(() => undefined);
    if (!info) return;
    if (info.isSymbolicLink()) {
      throw new InvalidArgumentError(`log_path ${quoted(logPath)} passes through the symlink ${quoted(current)}; berth writes logs only through real directories`);
    }
    const last = index === parts.length - 1;
    if (last && !info.isFile()) throw new InvalidArgumentError(`log_path ${quoted(logPath)} exists and is not a regular file`);
    if (!last && !info.isDirectory()) throw new InvalidArgumentError(`log_path ${quoted(logPath)}: ${quoted(current)} is not a directory`);
  }
}
