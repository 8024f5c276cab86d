// The files of a container, for docker's diff, export and cp (berth.v1.Containers): its root
// filesystem stays mounted at <bundle>/rootfs from create to remove, so a stopped container's
// files are there too. Everything inside goes through RootTree (runtime/linux/root-tree.ts):
// whatever the container put there, or swaps in while berth reads and writes, no symlink leads
// to a host file. The container's own mounts (volumes, /proc, /etc/hosts) live in its mount
// namespace and are not seen here.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pack as tarPack, type Pack } from 'tar-stream';
import type { Readable } from 'node:stream';
import { FailedPreconditionError, NotFoundError } from '../../common/errors.js';
import { baseName } from '../../common/archive/archive-paths.js';
import { packTree } from '../../common/archive/pack-tree.js';
import { unpackTree } from '../../common/archive/unpack-tree.js';
import type { EntryKind, EntryStat } from '../../common/archive/tree.js';
import type { Logger } from '../../common/logger.js';
import { mountPlaceholders, runtimeMountTargets } from './mount-placeholders.js';
import { RootTree } from '../linux/root-tree.js';
import type { Xattrs } from '../linux/xattr.js';
import type { ContainerManager } from './container-manager.js';
import { filesystemChanges, visibleInLayers, type FilesystemChange, type UpperEntry } from './filesystem-changes.js';

export interface SnapshotLayers {
  /** The container's writable directory and the image's layer directories, top to bottom. */
  layers(key: string): Promise<{ upper: string; lowers: string[] }>;
}

export interface PathInfo {
  name: string;
  stat: EntryStat;
  linkTarget: string;
}

const typeBits: Record<EntryKind, number> = { file: 0o100000, directory: 0o040000, symlink: 0o120000, char: 0o020000, block: 0o060000, fifo: 0o010000, socket: 0o140000 };

/** st_mode as stat(2) has it: the type bits and the permissions. */
export const statMode = (entry: EntryStat) => typeBits[entry.kind] | entry.mode;

/** The name the root itself has in an archive (a tar entry cannot be named `/`). */
export const rootArchiveName = 'rootfs';

export class ContainerFiles {
  constructor(
    private readonly containers: ContainerManager,
    private readonly snapshots: SnapshotLayers,
    private readonly xattrs: Xattrs,
    private readonly logger: Logger,
  ) {}

  /** The container's mounted root filesystem, opened; the caller closes it. */
  private async openRoot(idOrPrefix: string): Promise<RootTree> {
    const record = this.containers.get(idOrPrefix);
    const rootfs = join(record.bundleDir, 'rootfs');
    const [root, bundle] = await Promise.all([stat(rootfs), stat(record.bundleDir)]);
    if (root.dev === bundle.dev) throw new FailedPreconditionError(`the root filesystem of container ${record.id} is not mounted (${rootfs}); remove the container and create it again`);
    return RootTree.open(rootfs, `container ${record.id.slice(0, 12)}`);
  }

  private async withRoot<T>(idOrPrefix: string, body: (tree: RootTree) => Promise<T>): Promise<T> {
    const tree = await this.openRoot(idOrPrefix);
    try {
      return await body(tree);
    } finally {
      await tree.close();
    }
  }

  /** Streams what `write` packs from the container's root; the root stays open until it is done. */
  private async packed(tree: RootTree, write: (pack: Pack) => Promise<void>): Promise<Readable> {
    const pack = tarPack();
    void write(pack)
      .then(() => pack.finalize())
      .catch((error: unknown) => pack.destroy(error as Error))
      .finally(() => tree.close());
    return pack as unknown as Readable;
  }

  /** docker diff: the changes of the writable layer against the image, in walk order. */
  async changes(idOrPrefix: string): Promise<FilesystemChange[]> {
    const { id } = this.containers.get(idOrPrefix);
    const { upper, lowers } = await this.snapshots.layers(id);
    const upperTree = await RootTree.open(upper, `the writable layer of ${id.slice(0, 12)}`);
    const lowerTrees: RootTree[] = [];
    try {
      for (const lower of lowers) lowerTrees.push(await RootTree.open(lower, `an image layer of ${id.slice(0, 12)}`));
      const entries: UpperEntry[] = [];
      const walk = async (dir: string[]): Promise<void> => {
        for (const name of await upperTree.readdir(dir)) {
          const path = [...dir, name];
          const entryStat = await upperTree.lstat(path);
          if (!entryStat) continue;
          const lower = visibleInLayers(await Promise.all(lowerTrees.map((tree) => tree.lstat(path))));
          const opaque = entryStat.kind === 'directory' && (await this.isOpaque(upper, path));
          entries.push({ path: `/${path.join('/')}`, stat: entryStat, opaque, lower });
          if (entryStat.kind === 'directory') await walk(path);
        }
      };
      await walk([]);
      return filesystemChanges(entries);
    } finally {
      for (const tree of [upperTree, ...lowerTrees]) await tree.close();
    }
  }

  private async isOpaque(upper: string, path: string[]): Promise<boolean> {
    // getfattr -h on a path inside berth's own upper dir: the walk above found a real directory
    // there, and the container cannot reach the upper dir's names except through the overlay.
    const value = await this.xattrs.get(join(upper, ...path), 'trusted.overlay.opaque');
    return value?.toString('utf8') === 'y';
  }

  /**
   * docker commit: the writable layer as an image layer tar (entries without a leading `/`),
   * overlay whiteouts and opaque directories turned into OCI's `.wh.` files. The upper dir is
   * read through RootTree like the root: the container writes there, symlinks included.
   */
  async layerDiff(idOrPrefix: string, options: { withoutMountTargets?: boolean } = {}): Promise<Readable> {
    const record = this.containers.get(idOrPrefix);
    const { id } = record;
    const { upper } = await this.snapshots.layers(id);
    const tree = await RootTree.open(upper, `the writable layer of ${id.slice(0, 12)}`);
    const opaque = (path: readonly string[]) => (path.length > 0 ? this.isOpaque(upper, [...path]) : Promise.resolve(false));
    const targets = [...runtimeMountTargets, ...(record.config.mounts ?? []).map((mount) => mount.containerPath)];
    const leftOut = options.withoutMountTargets
      ? await mountPlaceholders(tree, targets, opaque).catch(async (error: unknown) => {
          await tree.close();
          throw error;
        })
      : new Set<string>();
    const layer = { opaque, leaveOut: (path: readonly string[]) => leftOut.has(path.join('/')) };
    return this.packed(tree, (pack) => packTree(tree, [], pack, { top: [], layer }));
  }

  /**
   * docker's copy of an image's files into a new volume: what the container's root has at
   * `containerPath` (symlinks followed inside the root), owners and modes kept, extracted into
   * the host directory `into` (a volume's empty data dir). Nothing when the root has no
   * directory there.
   */
  async copyUp(idOrPrefix: string, containerPath: string, into: string): Promise<boolean> {
    const source = await this.openRoot(idOrPrefix);
    let components: string[];
    try {
      components = await source.resolve(containerPath, true);
      if ((await source.lstat(components))?.kind !== 'directory') {
        await source.close();
        return false;
      }
    } catch (error) {
      await source.close();
      if ((error as { code?: string }).code === 'NOT_FOUND') return false;
      throw error;
    }
    const tar = await this.packed(source, (pack) => packTree(source, components, pack, { top: [] }));
    const target = await RootTree.open(into, `volume data ${into}`);
    try {
      await unpackTree(target, tar, { into: [], owner: 'archive' });
    } finally {
      await target.close();
    }
    return true;
  }

  /** docker export: the whole root filesystem as a flat tar, its entries named without a leading `/`. */
  async export(idOrPrefix: string): Promise<Readable> {
    const tree = await this.openRoot(idOrPrefix);
    return this.packed(tree, (pack) => packTree(tree, [], pack, { top: [] }));
  }

  /** What is at `path` (symlinks followed inside the root, the last one too). NotFound when nothing is. */
  statPath(idOrPrefix: string, path: string): Promise<PathInfo> {
    return this.withRoot(idOrPrefix, async (tree) => this.describe(tree, path, await tree.resolve(path, true)));
  }

  private async describe(tree: RootTree, asked: string, components: string[]): Promise<PathInfo> {
    const found = await tree.lstat(components);
    if (!found) throw new NotFoundError(`no such file or directory in ${tree.description}: ${asked}`);
    return { name: components.length === 0 ? '/' : baseName(asked) || '/', stat: found, linkTarget: found.kind === 'symlink' ? await tree.readlink(components) : '' };
  }

  /**
   * docker cp out of a container: the stat of `path` and a tar of it, entries named below its base
   * name (the root's below `rootfs`). With `followLink` a symlink at the end is followed (inside
   * the root); otherwise it is archived as the symlink it is.
   */
  async copyFrom(idOrPrefix: string, path: string, followLink: boolean): Promise<{ info: PathInfo; tar: Readable }> {
    const tree = await this.openRoot(idOrPrefix);
    let info: PathInfo;
    let components: string[];
    try {
      components = await tree.resolve(path, followLink);
      info = await this.describe(tree, path, components);
    } catch (error) {
      await tree.close();
      throw error;
    }
    const top = [components.at(-1) ?? rootArchiveName];
    return { info, tar: await this.packed(tree, (pack) => packTree(tree, components, pack, { top })) };
  }

  /**
   * docker cp into a container: extracts `tar` into the directory `dir` (symlinks followed inside
   * the root), owned by root unless `copyUidGid` keeps the archive's owners.
   */
  async copyTo(idOrPrefix: string, dir: string, copyUidGid: boolean, tar: AsyncIterable<Uint8Array>): Promise<void> {
    const record = this.containers.get(idOrPrefix);
    if (record.config.linux?.securityContext?.readonlyRootfs) {
      throw new FailedPreconditionError(`container ${record.id} has a read-only root filesystem; berth cp cannot write into it`);
    }
    await this.withRoot(record.id, async (tree) => {
      const components = await tree.resolve(dir, true);
      const found = await tree.lstat(components);
      if (!found) throw new NotFoundError(`no such directory in ${tree.description}: ${dir}`);
      if (found.kind !== 'directory') throw new FailedPreconditionError(`${dir} in ${tree.description} is not a directory`);
      await unpackTree(tree, tar, { into: components, owner: copyUidGid ? 'archive' : { uid: 0, gid: 0 } });
      this.logger.info({ containerId: record.id, dir }, 'copied an archive into the container');
    });
  }
}
