// Storage figures for /stats/summary: the node's filesystem (statfs of the kubelet's root dir),
// and per pod its volumes (the directories under <root-dir>/pods/<uid>/volumes/<plugin>/<name>)
// and its containers' logs (<pod-logs-dir>/<ns>_<name>_<uid>/<container>/). Directory usage is a
// walk (lstat, symlinks never followed) counted in allocated blocks, as du does, and is cached
// for a minute, as upstream's volume stats are: a large emptyDir is not walked on every scrape.
import { lstat, readdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';

export interface FilesystemStats {
  capacityBytes: number;
  availableBytes: number;
  usedBytes: number;
  inodes: number;
  inodesFree: number;
  inodesUsed: number;
}

export interface DirectoryUsage {
  usedBytes: number;
  inodesUsed: number;
}

export async function filesystemStats(path: string): Promise<FilesystemStats> {
  const stats = await statfs(path);
  const capacityBytes = stats.blocks * stats.bsize;
  return {
    capacityBytes,
    availableBytes: stats.bavail * stats.bsize,
    usedBytes: (stats.blocks - stats.bfree) * stats.bsize,
    inodes: stats.files,
    inodesFree: stats.ffree,
    inodesUsed: stats.files - stats.ffree,
  };
}

async function walk(path: string): Promise<DirectoryUsage> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return { usedBytes: 0, inodesUsed: 0 };
  let usage: DirectoryUsage = { usedBytes: info.blocks * 512, inodesUsed: 1 };
  if (!info.isDirectory()) return usage;
  for (const entry of await readdir(path).catch(() => [] as string[])) {
    const child = await walk(join(path, entry));
    usage = { usedBytes: usage.usedBytes + child.usedBytes, inodesUsed: usage.inodesUsed + child.inodesUsed };
  }
  return usage;
}

/** Directory usage, each directory walked at most once per `ttlMs`. */
export class DirectoryUsageCache {
  private readonly cached = new Map<string, { at: number; usage: Promise<DirectoryUsage> }>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  usage(path: string): Promise<DirectoryUsage> {
    const hit = this.cached.get(path);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.usage;
    const usage = walk(path);
    this.cached.set(path, { at: this.now(), usage });
    // Directories of pods that are gone are not kept.
    for (const [key, entry] of this.cached) if (this.now() - entry.at >= this.ttlMs * 5) this.cached.delete(key);
    return usage;
  }
}

export interface PodStorage {
  volumes: { name: string; plugin: string; usage: DirectoryUsage; fs: FilesystemStats | undefined }[];
  /** By container name. */
  logs: Map<string, DirectoryUsage>;
}

export interface NodeStorage {
  /** The filesystem of the kubelet's root dir. */
  nodeFs: FilesystemStats | undefined;
  pods: Map<string, PodStorage>;
}

export interface StorageDirs {
  rootDir: string;
  /** The directory of a container's logs, or undefined when it cannot be named. */
  logDir(pod: { namespace: string; name: string; uid: string }, container: string): string | undefined;
}

/** One look at the node's storage for the pods given; what cannot be read is left out. */
export async function collectStorage(
  dirs: StorageDirs,
  cache: DirectoryUsageCache,
  pods: readonly { uid: string; name: string; namespace: string; containers: readonly { name: string }[] }[],
): Promise<NodeStorage> {
  const nodeFs = await filesystemStats(dirs.rootDir).catch(() => undefined);
  const out = new Map<string, PodStorage>();
  await Promise.all(
    pods.map(async (pod) => {
      const volumesDir = join(dirs.rootDir, 'pods', pod.uid, 'volumes');
      const volumes: PodStorage['volumes'] = [];
      for (const plugin of await readdir(volumesDir).catch(() => [] as string[])) {
        for (const name of await readdir(join(volumesDir, plugin)).catch(() => [] as string[])) {
          const path = join(volumesDir, plugin, name);
          volumes.push({ name, plugin, usage: await cache.usage(path), fs: await filesystemStats(path).catch(() => undefined) });
        }
      }
      const logs = new Map<string, DirectoryUsage>();
      for (const container of pod.containers) {
        const dir = dirs.logDir(pod, container.name);
        if (dir) logs.set(container.name, await cache.usage(dir));
      }
      out.set(pod.uid, { volumes, logs });
    }),
  );
  return { nodeFs, pods: out };
}
