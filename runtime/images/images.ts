// The images facade: pull (fetch + verify + record + unpack), import, list, status, remove, and
// what CreateContainer needs from an image. It owns the content store, the image store and the
// registry client; unpacking layers into snapshots goes through the LayerUnpacker port.
import { stat } from 'node:fs/promises';
import { InvalidArgumentError, NotFoundError, errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { RegistryAuth } from './auth.js';
import { ContentStore } from './content-store.js';
import type { Digest } from './digest.js';
import { ImageStore, type ImageRecord } from './image-store.js';
import { importArchive, importOciLayout } from './import.js';
import { asNoSpace } from './no-space.js';
import type { ImageConfig } from './oci-types.js';
import { Puller, type PullOptions } from './puller.js';
import { RegistryClient } from './registry-client.js';
import type { RegistryHostsConfig } from './registry-hosts.js';

/** What unpacking reads of an image: recorded, or pulled and not yet recorded. */
export type UnpackableImage = Pick<ImageRecord, 'id' | 'layers' | 'diffIds'>;

/** Makes an image's layers available as committed snapshots; returns the top layer's chain id. */
export interface LayerUnpacker {
  ensureUnpacked(image: UnpackableImage, content: ContentStore): Promise<string>;
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
    private readonly unpacker: LayerUnpacker,
    private readonly logger: Logger,
  ) {}

  static async open(options: { rootDir: string; hosts: RegistryHostsConfig; unpacker: LayerUnpacker; logger: Logger }): Promise<Images> {
    const content = new ContentStore(options.rootDir);
    const store = await ImageStore.open(options.rootDir, { logger: options.logger });
    const registry = new RegistryClient({ hosts: options.hosts, logger: options.logger });
    const puller = new Puller({ registry, content, images: store, logger: options.logger });
    return new Images(content, store, puller, options.unpacker, options.logger);
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
      await this.unpacker.ensureUnpacked(image, this.content);
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

  async forContainer(ref: string): Promise<ImageForContainer> {
    const record = this.store.get(ref);
    if (!record) throw new NotFoundError(`image ${JSON.stringify(ref)} is not present; pull it first`);
    const topChainId = await this.unpacker.ensureUnpacked(record, this.content);
    return { id: record.id, ref: record.repoDigests[0] ?? record.id, config: record.config, topChainId };
  }

  async usage(): Promise<{ bytes: number; blobs: number }> {
    return this.content.usage();
  }
}
