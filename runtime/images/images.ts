// The images facade: pull (fetch + verify + record + unpack), import, list, status, remove, and
// what CreateContainer needs from an image; and docker's image commands (tag, rmi, history,
// prune, save/load, import of a flat tarball, push, login) for berth.v1.Images. It owns the content store, the image store and the
// registry client; unpacking layers into snapshots goes through the LayerUnpacker port.
import { createReadStream, createWriteStream } from 'node:fs';
import type { Abortable } from '../../common/abort.js';
import { pipeline } from 'node:stream/promises';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError, errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { RegistryAuth } from './auth.js';
import { ContentStore } from './content-store.js';
import { sha256Of, type Digest } from './digest.js';
import { applyChanges, flatImageConfig, flatLayer, type FlatLayer } from './flat-import.js';
import { committedConfig, committedManifest, type ContainerRunSettings } from './commit-image.js';
import { BuildCache } from './build-cache.js';
import { buildStepConfig, type BuildStepSettings } from './build-step-image.js';
// docker's save/load/import/push code (image-archive, import, pusher) loads at its first use: a
// daemon that only pulls and runs never holds it (idle RSS, bench/analysis.md).
import type { DockerArchiveImage, SavedImage } from './image-archive.js';
import { imageHistory, type HistoryLine } from './image-history.js';
import { nameMatching, planRemoval, type ImageUser } from './image-removal.js';
import { parseImageConfig, parseManifest } from './manifest.js';
import type { PushEvent } from './pusher.js';
import { parseReference, referenceName, taggedName, type ImageReference } from './reference.js';
import { ImageStore, type ImageRecord } from './image-store.js';
import { asNoSpace } from './no-space.js';
import { mediaTypes, type ImageConfig } from './oci-types.js';
import { Puller, type PullOptions } from './puller.js';
import { RegistryClient } from './registry-client.js';
import type { RegistryHostsConfig } from './registry-hosts.js';

/** What unpacking reads of an image: recorded, or pulled and not yet recorded. */
export type UnpackableImage = Pick<ImageRecord, 'id' | 'layers' | 'diffIds'>;

/**
 * Makes an image's layers available as committed snapshots; returns the top layer's chain id.
 * `signal` (the pull's or the create's) stops the layer being unpacked, its decompressor killed
 * and its snapshot removed; layers committed before stay (another image may share them, and
 * collect() drops them once none does).
 */
export interface LayerUnpacker {
  ensureUnpacked(image: UnpackableImage, content: ContentStore, options?: Abortable): Promise<string>;
  /** Drops committed layer snapshots no image in `inUse` uses (best effort). */
  collect(inUse: readonly Pick<ImageRecord, 'diffIds'>[]): Promise<void>;
}

export interface ImageForContainer {
  id: string;
  ref: string;
  config: ImageConfig;
  topChainId: string;
}

export class Images {
  /** Images pulled and being unpacked, not yet recorded: their layers are not garbage. */
  private readonly unpacking = new Set<UnpackableImage>();

  private constructor(
    readonly content: ContentStore,
    readonly store: ImageStore,
    private readonly puller: Puller,
    private readonly registry: RegistryClient,
    private readonly unpacker: LayerUnpacker,
    private readonly logger: Logger,
    readonly buildCache: BuildCache,
  ) {}

  static async open(options: { rootDir: string; hosts: RegistryHostsConfig; unpacker: LayerUnpacker; logger: Logger }): Promise<Images> {
    const content = new ContentStore(options.rootDir);
    const store = await ImageStore.open(options.rootDir, { logger: options.logger });
    const registry = new RegistryClient({ hosts: options.hosts, logger: options.logger });
    const puller = new Puller({ registry, content, images: store, logger: options.logger });
    return new Images(content, store, puller, registry, options.unpacker, options.logger, new BuildCache(options.rootDir));
  }

  list(): ImageRecord[] {
    return this.store.list();
  }

  /** Bytes of image blobs fetched from registries since start. */
  get pulledBytes(): number {
    return this.puller.fetchedBytes;
  }

  /** undefined when the image is not here (ImageStatus answers an empty image then). */
  status(ref: string): ImageRecord | undefined {
    if (!ref) throw new InvalidArgumentError('an image reference or id is required');
    return this.store.get(ref);
  }

  async pull(ref: string, auth?: RegistryAuth, options: Pick<PullOptions, 'onProgress' | 'signal'> = {}): Promise<ImageRecord> {
    if (!ref) throw new InvalidArgumentError('PullImage needs an image reference');
    const pending: UnpackableImage[] = [];
    const beforeRecord = async (image: UnpackableImage): Promise<void> => {
      pending.push(image);
      this.unpacking.add(image);
      await this.unpacker.ensureUnpacked(image, this.content, { signal: options.signal });
    };
    try {
      return await this.puller.pull(ref, { ...options, ...(auth ? { auth } : {}), beforeRecord });
    } catch (error) {
      if (pending.length > 0) {
        // The layers this pull committed (before the failing one, or before the record failed)
        // belong to no image.
        for (const image of pending) this.unpacking.delete(image);
        await this.collectLayers();
      }
      throw asNoSpace(error, `pulling ${ref}`, this.store.dir);
    } finally {
      for (const image of pending) this.unpacking.delete(image);
    }
  }

  private async collectLayers(): Promise<void> {
    await this.unpacker.collect([...this.store.list(), ...this.unpacking]).catch((error: unknown) => {
      this.logger.warn({ err: errorMessage(error) }, 'cannot remove unused layer snapshots');
    });
  }

  /** Loads an OCI image layout directory or a tar of one; `repository` names bare tags. */
  async import(path: string, repository?: string): Promise<ImageRecord[]> {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new NotFoundError(`${path} does not exist`);
    const deps = { content: this.content, images: this.store, logger: this.logger };
    const options = repository ? { repository } : {};
    const { importArchive, importOciLayout } = await import('./import.js');
    const records = info.isDirectory() ? await importOciLayout(path, deps, options) : await importArchive(path, deps, options);
    for (const record of records) await this.unpacker.ensureUnpacked(record, this.content);
    return records;
  }

  async remove(ref: string): Promise<void> {
    const removed = await this.store.remove(ref);
    if (!removed) return;
    for (const digest of removed.unreferencedBlobs) await this.content.delete(digest as Digest);
    await this.unpacker.collect([...this.store.list(), ...this.unpacking]);
    this.logger.info({ image: removed.removed.id }, 'image removed');
  }

  tag(source: string, target: string): Promise<ImageRecord> {
    return this.store.tag(source, target);
  }

  /** docker rmi of one name or id (image-removal.ts); `usersOf` names the containers of an image. */
  async removeReference(ref: string, force: boolean, usersOf: (id: Digest) => ImageUser[]): Promise<{ untagged: string[]; deleted: Digest[] }> {
    const record = this.store.get(ref);
    if (!record) throw new NotFoundError(`No such image: ${ref}`);
    const plan = planRemoval(record, ref, force, usersOf(record.id));
    if (plan.deleteImage) {
      await this.remove(record.id);
      return { untagged: plan.untag, deleted: [record.id] };
    }
    await this.store.untag(record.id, plan.untag);
    return { untagged: plan.untag, deleted: [] };
  }

  history(ref: string): HistoryLine[] {
    return imageHistory(this.store.resolve(ref));
  }

  /** Removes images without tags (or, with `all`, every one) that no container uses; pinned ones stay. */
  async prune(all: boolean, inUse: ReadonlySet<string>): Promise<{ untagged: string[]; deleted: Digest[]; reclaimedBytes: number }> {
    const before = await this.content.usage();
    const untagged: string[] = [];
    const deleted: Digest[] = [];
    for (const record of this.store.list()) {
      if (record.pinned || inUse.has(record.id) || (!all && record.repoTags.length > 0)) continue;
      await this.remove(record.id);
      untagged.push(...record.repoTags, ...record.repoDigests);
      deleted.push(record.id);
    }
    const after = await this.content.usage();
    return { untagged, deleted, reclaimedBytes: Math.max(0, before.bytes - after.bytes) };
  }

  /**
   * docker save: the images `refs` name as one archive (image-archive.ts). A name:tag saves that
   * tag, a bare repository every tag of it, an id the image without names.
   */
  async save(refs: readonly string[]): Promise<Readable> {
    const { archiveLayout, writeArchive } = await import('./image-archive.js');
    const selected = new Map<Digest, SavedImage>();
    const select = async (record: ImageRecord, tags: readonly string[]): Promise<void> => {
      const saved = selected.get(record.id) ?? { record, manifestSize: (await this.content.info(record.manifestDigest)).size, tags: [] };
      saved.tags = [...new Set([...saved.tags, ...tags])];
      selected.set(record.id, saved);
    };
    for (const ref of refs) {
      const repository = bareRepository(ref);
      const inRepository = repository === undefined ? [] : this.store.list().filter((record) => record.repoTags.some((tag) => tag.startsWith(`${repository}:`)));
      for (const record of inRepository)
        await select(
          record,
          record.repoTags.filter((tag) => tag.startsWith(`${repository}:`)),
        );
      if (inRepository.length > 0) continue;
      const record = this.store.get(ref);
      if (!record) throw new NotFoundError(`reference does not exist: ${ref}`);
      const name = nameMatching(record, ref);
      await select(record, name !== undefined && record.repoTags.includes(name) ? [name] : []);
    }
    return writeArchive(archiveLayout([...selected.values()]), this.content);
  }

  /**
   * docker load: an OCI archive (index.json) or a docker-archive (manifest.json only), as a tar's
   * bytes. Each record answered carries the names the archive gave it.
   */
  async load(archive: AsyncIterable<Uint8Array>): Promise<ImageRecord[]> {
    const [{ extractArchive, readDockerArchive }, { importOciLayout }] = await Promise.all([import('./image-archive.js'), import('./import.js')]);
    return this.withScratch(async (scratch) => {
      const tarPath = join(scratch, 'archive.tar');
      await pipeline(archive, createWriteStream(tarPath, { mode: 0o600 }));
      const dir = join(scratch, 'archive');
      await mkdir(dir);
      await extractArchive(tarPath, dir);
      const isLayout = (await stat(join(dir, 'index.json')).catch(() => undefined)) && (await stat(join(dir, 'oci-layout')).catch(() => undefined));
      const records = isLayout
        ? await importOciLayout(dir, { content: this.content, images: this.store, logger: this.logger })
        : await this.addDockerArchive(await readDockerArchive(dir, 'image archive'));
      for (const record of records) await this.unpacker.ensureUnpacked(record, this.content);
      return records;
    });
  }

  private async addDockerArchive(images: DockerArchiveImage[]): Promise<ImageRecord[]> {
    const records: ImageRecord[] = [];
    for (const image of images) {
      // An image that is here already only gains the archive's names: its manifest stays.
      const existing = [...image.blobs.keys()].map((digest) => this.store.get(digest)).find((record) => record !== undefined);
      if (existing) {
        records.push({ ...(await this.store.add({ ...existing, repoTags: image.tags, repoDigests: [] })), repoTags: image.tags, repoDigests: [] });
        continue;
      }
      for (const [digest, { path, size }] of image.blobs) {
        await this.content.ingest(digest, size, async () => ({ start: 0, body: createReadStream(path) }));
      }
      await this.content.ingestBytes(image.manifest, image.manifestDigest);
      const manifest = parseManifest(image.manifest, `manifest ${image.manifestDigest}`);
      const config = parseImageConfig(await this.content.readBytes(manifest.config.digest as Digest), `config ${manifest.config.digest}`, manifest.layers.length);
      const stored = await this.store.add({
        id: manifest.config.digest as Digest,
        repoTags: image.tags,
        repoDigests: [],
        size: manifest.config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0),
        config,
        manifestDigest: image.manifestDigest,
        manifestMediaType: mediaTypes.ociManifest,
        layers: manifest.layers,
        diffIds: config.rootfs.diff_ids as Digest[],
      });
      records.push({ ...stored, repoTags: image.tags, repoDigests: [] });
    }
    return records;
  }

  /** docker import: a flat root filesystem tarball as a one-layer image (flat-import.ts). */
  async importTarball(tarball: AsyncIterable<Uint8Array>, options: { reference?: string; changes: readonly string[]; message?: string; source: string }): Promise<ImageRecord> {
    const reference = builtReference('import', options.reference ?? '', options.changes);
    const now = new Date();
    return this.withLayer(tarball, async (layer, blobPath) => {
      const config = flatImageConfig(layer.diffId, { ...options, now });
      return this.recordBuilt({ config, layer, blobPath, parent: undefined, reference, what: 'imported image config' });
    });
  }

  /**
   * docker commit: `layerTar` (the container's changes, commit-image.ts) as a new layer on top of
   * the image `parentId`, named `reference` when given. The layer is gzipped into the content store
   * (its digest verified on ingest) and unpacked like any other before the image is recorded.
   */
  async commit(
    parentId: string,
    layerTar: AsyncIterable<Uint8Array>,
    container: ContainerRunSettings,
    options: { reference: string; changes: readonly string[]; message: string; author: string },
  ): Promise<ImageRecord> {
    const reference = builtReference('commit', options.reference, options.changes);
    const parent = this.store.get(parentId);
    if (!parent) throw new NotFoundError(`the container's image ${parentId} is no longer in the store; it cannot be committed`);
    const now = new Date();
    return this.withLayer(layerTar, async (layer, blobPath) => {
      const config = committedConfig(parent.config, container, layer.diffId, { ...options, now });
      const stored = await this.recordBuilt({ config, layer, blobPath, parent, reference, what: 'committed image config' });
      this.logger.info({ imageId: stored.id, parent: parent.id, reference: options.reference }, 'container committed');
      return stored;
    });
  }

  /**
   * One step of berth build (build-step-image.ts): a new image on `parentId` (undefined: scratch)
   * with the step's run config and history, its new layer `layerTar` when the step made one.
   */
  async buildStep(parentId: string | undefined, layerTar: AsyncIterable<Uint8Array> | undefined, settings: Omit<BuildStepSettings, 'now'>): Promise<ImageRecord> {
    const parent = parentId === undefined ? undefined : this.store.get(parentId);
    if (parentId !== undefined && !parent) throw new NotFoundError(`the build step's parent image ${parentId} is no longer in the store`);
    const now = new Date();
    const what = 'built image config';
    if (layerTar === undefined) {
      if (!parent) throw new InvalidArgumentError('an image built FROM scratch needs at least one COPY, ADD or RUN before it is complete');
      return this.recordBuilt({ config: buildStepConfig(parent.config, undefined, { ...settings, now }), layer: undefined, blobPath: '', parent, reference: undefined, what });
    }
    return this.withLayer(layerTar, (layer, blobPath) =>
      this.recordBuilt({ config: buildStepConfig(parent?.config, layer.diffId, { ...settings, now }), layer, blobPath, parent, reference: undefined, what }),
    );
  }

  /** The tar `layer` gzipped into a scratch blob (flatLayer), for `work`; the scratch is removed after. */
  private withLayer<T>(layer: AsyncIterable<Uint8Array>, work: (layer: FlatLayer, blobPath: string) => Promise<T>): Promise<T> {
    return this.withScratch(async (scratch) => {
      const tarPath = join(scratch, 'layer.tar');
      await pipeline(layer, createWriteStream(tarPath, { mode: 0o600 }));
      const blobPath = join(scratch, 'layer');
      return work(await flatLayer(tarPath, blobPath), blobPath);
    });
  }

  /** Stores an image berth made (import, commit): the new layer's blob, the config, the manifest; unpacks it; records it. */
  private async recordBuilt(built: {
    config: ImageConfig;
    /** undefined for an image whose config alone is new (a build's metadata step). */
    layer: FlatLayer | undefined;
    blobPath: string;
    parent: ImageRecord | undefined;
    reference: ImageReference | undefined;
    what: string;
  }): Promise<ImageRecord> {
    const { layer, parent } = built;
    const configBytes = Buffer.from(JSON.stringify(built.config));
    const configDigest = sha256Of(configBytes);
    const diffIds = [...(parent?.diffIds ?? []), ...(layer ? [layer.diffId] : [])];
    const checked = parseImageConfig(configBytes, built.what, diffIds.length);
    const manifest = committedManifest(parent?.layers ?? [], { digest: configDigest, size: configBytes.length }, layer);
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    if (layer) await this.content.ingest(layer.digest, layer.size, async () => ({ start: 0, body: createReadStream(built.blobPath) }));
    await this.content.ingestBytes(configBytes, configDigest);
    await this.content.ingestBytes(manifestBytes, sha256Of(manifestBytes));
    const tagged = built.reference && taggedName(built.reference);
    const image = {
      id: configDigest,
      repoTags: tagged ? [tagged] : [],
      repoDigests: [],
      size: configBytes.length + manifest.layers.reduce((sum, descriptor) => sum + descriptor.size, 0),
      config: checked,
      manifestDigest: sha256Of(manifestBytes),
      manifestMediaType: mediaTypes.ociManifest,
      layers: manifest.layers,
      diffIds,
    };
    await this.unpacker.ensureUnpacked(image, this.content);
    return this.store.add(image);
  }

  async push(ref: string, auth: RegistryAuth | undefined, onEvent: (event: PushEvent) => void): Promise<Digest> {
    const { pushImage } = await import('./pusher.js');
    return pushImage({ registry: this.registry, content: this.content, images: this.store, logger: this.logger }, ref, auth, onEvent);
  }

  /** docker login's check of credentials against `host` ("host[:port]"). */
  login(host: string, auth: RegistryAuth): Promise<void> {
    return this.registry.checkLogin(host, auth);
  }

  /** A scratch folder below the ingest dir (emptied at start after a crash), removed after `work`. */
  private async withScratch<T>(work: (dir: string) => Promise<T>): Promise<T> {
    await mkdir(this.content.ingestDir, { recursive: true });
    const dir = await mkdtemp(join(this.content.ingestDir, 'work-'));
    try {
      return await work(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The image to run `ref` from, its layers unpacked (under the create's `signal`). */
  async forContainer(ref: string, options: Abortable = {}): Promise<ImageForContainer> {
    const record = this.store.get(ref);
    if (!record) throw new NotFoundError(`image ${JSON.stringify(ref)} is not present; pull it first`);
    const topChainId = await this.unpacker.ensureUnpacked(record, this.content, options);
    return { id: record.id, ref: record.repoDigests[0] ?? record.id, config: record.config, topChainId };
  }

  async usage(): Promise<{ bytes: number; blobs: number }> {
    return this.content.usage();
  }
}

/** The name an image berth makes gets ("" for none), checked with its -c changes before any work. */
function builtReference(command: string, text: string, changes: readonly string[]): ImageReference | undefined {
  const reference = text !== '' ? parseReference(text) : undefined;
  if (reference?.digest !== undefined) throw new InvalidArgumentError(`${command} reference ${JSON.stringify(text)} must be REPOSITORY[:TAG], not a digest`);
  applyChanges({}, changes);
  return reference;
}

/** "docker.io/library/busybox" when `ref` is a repository name without tag or digest. */
function bareRepository(ref: string): string | undefined {
  if (ref.includes('@') || ref.lastIndexOf(':') > ref.lastIndexOf('/')) return undefined;
  try {
    return referenceName(parseReference(ref));
  } catch {
    return undefined;
  }
}
