// Pod volumes on the node, mounted into containers through CRI mounts: emptyDir (a directory
// under the kubelet's root dir; medium Memory is a tmpfs sized by sizeLimit), hostPath (with the
// upstream type checks), and the API-backed kinds (configMap, secret, downwardAPI, projected with
// service account tokens), written by the atomic writer and refreshed on every pass, so an
// update reaches the files. Other types (persistent volumes, CSI, ...) are reported once in the
// log, and containers run without them.
import type { V1Container, V1Pod, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { chmod, lstat, mkdir, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { InvalidArgumentError } from '../common/errors.js';
import { isMountPoint, LinuxMounter } from '../common/linux/mounts.js';
import type { Mount } from '../api/cri/messages.js';
import { writePayload } from './atomic-writer.js';
import { expandVars } from './container-env.js';
import { applyFsGroup } from './volume-ownership.js';
import type { PodRuntimeFacts } from './downward-api.js';
import { parseQuantity } from './resources.js';
import { isApiBackedVolume, isMemoryBacked, volumePayload, type VolumeSources } from './volume-payload.js';

export interface PreparedVolume {
  hostPath: string;
  readOnly: boolean;
}

/** Where a pod's volumes live: <root>/pods/<uid>/volumes/<plugin>/<name>, as upstream. */
export function podVolumesDir(rootDir: string, uid: string): string {
  return join(rootDir, 'pods', uid, 'volumes');
}

/** Pure: the volume's kind, the key of its source in the spec. */
export function volumeKind(volume: V1Volume): string {
  return Object.keys(volume).find((k) => k !== 'name') ?? 'unknown';
}

/** The plugin directory names upstream uses, which tools on the node expect. */
const pluginDirs: Record<string, string> = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
};

export interface VolumeContext {
  /** The API objects volumes refer to; undefined in standalone mode. */
  sources: VolumeSources | undefined;
  facts: PodRuntimeFacts;
}

async function kindOf(path: string): Promise<'directory' | 'file' | 'socket' | 'char' | 'block' | 'other' | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return undefined;
  if (info.isDirectory()) return 'directory';
  if (info.isFile()) return 'file';
  if (info.isSocket()) return 'socket';
  if (info.isCharacterDevice()) return 'char';
  if (info.isBlockDevice()) return 'block';
  return 'other';
}

async function checkHostPath(name: string, path: string, type: string): Promise<void> {
  if (!isAbsolute(path)) throw new InvalidArgumentError(`hostPath volume ${name}: path ${path} is not absolute`);
  const kind = await kindOf(path);
  const want: Record<string, string> = { Directory: 'directory', File: 'file', Socket: 'socket', CharDevice: 'char', BlockDevice: 'block' };
  switch (type) {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (kind === undefined) await mkdir(path, { recursive: true, mode: 0o755 });
      else if (kind !== 'directory') throw new InvalidArgumentError(`hostPath volume ${name}: ${path} exists and is not a directory`);
      return;
    case 'FileOrCreate':
      if (kind === undefined) await writeFile(path, '', { mode: 0o644, flag: 'wx' });
      else if (kind !== 'file') throw new InvalidArgumentError(`hostPath volume ${name}: ${path} exists and is not a file`);
      return;
    default: {
      const expected = want[type];
      if (!expected) throw new InvalidArgumentError(`hostPath volume ${name}: unknown type ${type}`);
      if (kind !== expected) throw new InvalidArgumentError(`hostPath volume ${name}: ${path} is not a ${type}${kind ? ` (it is a ${kind})` : ' (it does not exist)'}`);
    }
  }
}

const mounter = new LinuxMounter();

async function mountTmpfs(dir: string, sizeBytes: number | undefined): Promise<void> {
  if (await isMountPoint(dir)) return;
  await mounter.mount({ type: 'tmpfs', source: 'tmpfs', options: ['mode=0777', ...(sizeBytes ? [`size=${Math.floor(sizeBytes)}`] : [])] }, dir);
}

/**
 * Makes the pod's volumes ready on the node, or up to date when they are; returns the mountable
 * ones by name. Called before containers start and again on every pass of the pod worker.
 */
export async function preparePodVolumes(pod: V1Pod, rootDir: string, context: VolumeContext, warn: (message: string) => void): Promise<Map<string, PreparedVolume>> {
  const uid = pod.metadata?.uid ?? '';
  const fsGroup = pod.spec?.securityContext?.fsGroup;
  const prepared = new Map<string, PreparedVolume>();
  for (const volume of pod.spec?.volumes ?? []) {
    const kind = volumeKind(volume);
    const pluginDir = pluginDirs[kind];
    const dir = pluginDir ? join(podVolumesDir(rootDir, uid), pluginDir, volume.name) : '';
    if (volume.emptyDir) {
      const fresh = (await lstat(dir).catch(() => undefined)) === undefined;
      await mkdir(dir, { recursive: true, mode: 0o777 });
      // Any container user may write an emptyDir (upstream: 0777); mkdir's mode passes the umask.
      if (fresh) await chmod(dir, 0o777);
      if (volume.emptyDir.medium === 'Memory') await mountTmpfs(dir, parseQuantity(volume.emptyDir.sizeLimit as string | undefined));
      // Once, when made: what containers write there later keeps the group through setgid.
      if (fresh && fsGroup !== undefined) await applyFsGroup(dir, fsGroup, false);
      prepared.set(volume.name, { hostPath: dir, readOnly: false });
    } else if (volume.hostPath) {
      await checkHostPath(volume.name, volume.hostPath.path, volume.hostPath.type ?? '');
      prepared.set(volume.name, { hostPath: volume.hostPath.path, readOnly: false });
    } else if (isApiBackedVolume(volume)) {
      // Computed first: a missing object leaves the volume as it was, and the error says why.
      const payload = await volumePayload(pod, volume, context.sources, context.facts);
      await mkdir(dir, { recursive: true, mode: 0o755 });
      if (isMemoryBacked(volume)) await mountTmpfs(dir, undefined);
      await writePayload(dir, payload);
      // Every pass: an update writes new files.
      if (fsGroup !== undefined) await applyFsGroup(dir, fsGroup, true);
      prepared.set(volume.name, { hostPath: dir, readOnly: true });
    } else {
      warn(`volume ${volume.name} (${kind}) is not supported by berth's kubelet yet; containers run without it`);
    }
  }
  return prepared;
}

/** Pure: a subPath as a relative path inside its volume; refuses absolute paths and "..". */
export function relativeSubPath(mountName: string, subPath: string): string {
  const sub = normalize(subPath);
  if (isAbsolute(sub) || sub === '..' || sub.startsWith('../')) {
    throw new InvalidArgumentError(`volumeMount ${mountName}: subPath ${subPath} must be a relative path inside the volume`);
  }
  return sub === '.' ? '' : sub.replace(/\/+$/, '');
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

/**
 * The host path of a subPath, walked one component at a time: a symlink anywhere on the way must
 * stay inside the volume, and missing directories are made (as upstream does). The real path is
 * what gets bind-mounted, so a link swapped in later cannot redirect this mount.
 */
async function resolveSubPath(mountName: string, volumeRoot: string, subPath: string): Promise<string> {
  const root = await realpath(volumeRoot);
  let current = root;
  for (const part of relativeSubPath(mountName, subPath)
    .split('/')
    .filter((p) => p !== '')) {
    const next = join(current, part);
    const info = await lstat(next).catch(() => undefined);
    if (!info) await mkdir(next, { mode: 0o755 });
    const real = await realpath(next);
    if (!isInside(root, real)) {
      throw new InvalidArgumentError(`volumeMount ${mountName}: subPath ${subPath} leads outside its volume (through a symlink to ${real})`);
    }
    current = real;
  }
  return current;
}

/**
 * Pure: a volumeMount's subPath: its subPath, or its subPathExpr with the container's environment
 * put in ($(VAR), as in command and args). As upstream's kubelet, a variable that is unset or empty
 * is an error, not an empty path element (the container would get the whole volume instead).
 */
export function mountSubPath(mount: V1VolumeMount, env: ReadonlyMap<string, string>): string | undefined {
  if (!mount.subPathExpr) return mount.subPath || undefined;
  const missing: string[] = [];
  const expanded = expandVars(mount.subPathExpr, (name) => {
    const value = env.get(name);
    if (!value) missing.push(name);
    return value ?? '';
  });
  if (missing.length > 0) throw new InvalidArgumentError(`volumeMount ${mount.name}: subPathExpr ${mount.subPathExpr}: no value for ${missing.join(', ')}`);
  return expanded;
}

/**
 * The CRI mounts of a container, from its volumeMounts and the prepared volumes; `env` is the
 * container's environment, which subPathExpr expands.
 */
export async function containerMounts(container: V1Container, volumes: ReadonlyMap<string, PreparedVolume>, env: ReadonlyMap<string, string> = new Map()): Promise<Mount[]> {
  const mounts: Mount[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    if (!volume) continue;
    const subPath = mountSubPath(mount, env);
    const hostPath = subPath ? await resolveSubPath(mount.name, volume.hostPath, subPath) : volume.hostPath;
    mounts.push({
      containerPath: mount.mountPath,
      hostPath,
      readonly: mount.readOnly === true || volume.readOnly,
      propagation: mount.mountPropagation === 'Bidirectional' ? 'PROPAGATION_BIDIRECTIONAL' : mount.mountPropagation === 'HostToContainer' ? 'PROPAGATION_HOST_TO_CONTAINER' : 'PROPAGATION_PRIVATE',
    });
  }
  return mounts;
}

/** Unmounts memory-backed volumes and removes the pod's volume directories. */
export async function removePodVolumes(rootDir: string, uid: string): Promise<void> {
  const volumesDir = podVolumesDir(rootDir, uid);
  for (const plugin of await readdir(volumesDir).catch(() => [] as string[])) {
    for (const name of await readdir(join(volumesDir, plugin)).catch(() => [] as string[])) {
      const dir = join(volumesDir, plugin, name);
      await mounter.unmount(dir, { detach: true });
    }
  }
  await rm(join(rootDir, 'pods', uid), { recursive: true, force: true });
}
