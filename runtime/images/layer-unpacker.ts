// Pull → snapshots: each layer, bottom first, is decompressed and unpacked into a snapshot that is
// committed under its chain id only when the uncompressed bytes hash to the diff_id the image
// config names. Layers shared between images are unpacked once; concurrent unpacks of the same
// chain wait for each other.
//
// Each unpack runs under its caller's signal (the pull's, or the CreateContainer's): an abort
// destroys the decompressor (killing zstd) and the blob stream, which fails the extraction, and
// the half-written snapshot is removed. A caller that was waiting on someone else's
// unpack that got cancelled unpacks the layer itself, under its own signal.
//
// A layer's uncompressed size is bounded by the smaller of the configured maximum
// (--max-layer-size, default defaultMaxDecompressedBytes = 32 GiB) and the space free on the
// snapshots' filesystem when its unpack starts: a decompression bomb, or a layer that cannot fit,
// fails RESOURCE_EXHAUSTED after writing at most that much, and its snapshot is removed.
import { randomBytes } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import { abortedError, throwIfAborted, type Abortable } from '../../common/abort.js';
import { CancelledError, DeadlineExceededError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { AttrToolsXattrs } from '../linux/xattr.js';
import { MknodDeviceNodes } from '../linux/device-nodes.js';
import { chainIds } from '../snapshots/chain-id.js';
import type { OverlaySnapshotter } from '../snapshots/snapshotter.js';
import { unpackLayer } from '../snapshots/unpack-layer.js';
import type { ContentStore } from './content-store.js';
import { decompressLayer, defaultMaxDecompressedBytes } from './decompress.js';
import type { Digest } from './digest.js';
import type { ImageRecord } from './image-store.js';
import { LayerMismatchError } from './layer-errors.js';
import type { LayerUnpacker, UnpackableImage } from './images.js';
import { asNoSpace } from './no-space.js';

export interface LayerUnpackerOptions {
  /** Most bytes one layer may decompress to (before the free-space bound). */
  maxLayerBytes?: number | undefined;
}

export class SnapshotLayerUnpacker implements LayerUnpacker {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly xattrs = new AttrToolsXattrs();
  private readonly devices = new MknodDeviceNodes();
  private readonly maxLayerBytes: number;

  constructor(
    private readonly snapshots: OverlaySnapshotter,
    private readonly logger: Logger,
    options: LayerUnpackerOptions = {},
  ) {
    this.maxLayerBytes = options.maxLayerBytes ?? defaultMaxDecompressedBytes;
  }

  private committed(chain: string): boolean {
    try {
      return this.snapshots.stat(chain).kind === 'committed';
    } catch {
      return false;
    }
  }

  /** Returns the top layer's chain id, or '' for an image without layers. */
  async ensureUnpacked(image: UnpackableImage, content: ContentStore, options: Abortable = {}): Promise<string> {
    const { signal } = options;
    const chains = chainIds(image.diffIds);
    for (const [index, chain] of chains.entries()) {
      while (!this.committed(chain)) {
        throwIfAborted(signal, `unpacking image ${image.id}`);
        const running = this.inFlight.get(chain);
        if (running) {
          // Someone else's unpack, cancelled by its caller: this caller's need stands, so the loop
          // unpacks the layer again under its own signal.
          await running.catch((error: unknown) => {
            if (!(error instanceof CancelledError || error instanceof DeadlineExceededError)) throw error;
          });
          continue;
        }
        const layer = image.layers[index];
        const diffId = image.diffIds[index];
        if (!layer || !diffId) throw new Error(`image ${image.id} has no layer ${index}`);
        const work = this.unpackOne(content, { digest: layer.digest as Digest, mediaType: layer.mediaType, diffId, chain, parent: chains[index - 1] }, signal).catch((error: unknown) => {
          throw asNoSpace(error, `unpacking layer ${layer.digest}`, this.snapshots.root);
        });
        this.inFlight.set(chain, work);
        try {
          await work;
        } finally {
          this.inFlight.delete(chain);
        }
      }
    }
    // An image without layers (a config-only image) runs on an empty rootfs: no parent.
    return chains[chains.length - 1] ?? '';
  }

  private async unpackOne(
    content: ContentStore,
    { digest, mediaType, diffId, chain, parent }: { digest: Digest; mediaType: string; diffId: string; chain: string; parent: string | undefined },
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const key = `extract-${randomBytes(8).toString('hex')}`;
    const { dir } = await this.snapshots.prepareLayer(key, parent);
    try {
      const { bavail, bsize } = await statfs(this.snapshots.root);
      const free = bavail * bsize;
      const tar = decompressLayer(await content.readStream(digest), {
        mediaType,
        name: `layer ${digest}`,
        maxBytes: Math.min(this.maxLayerBytes, free),
        limitReason:
          free < this.maxLayerBytes
            ? `the space free under ${this.snapshots.root}: the layer does not fit`
            : 'the maximum layer size, --max-layer-size: a decompression bomb, or a layer larger than this node accepts',
        signal,
      });
      const result = await unpackLayer(tar, dir, { xattrs: this.xattrs, devices: this.devices, logger: this.logger });
      if (result.diffId !== diffId) {
        throw new LayerMismatchError(`layer ${digest} unpacks to ${result.diffId}, but the image config says ${diffId}; the layer was not committed`);
      }
      await this.snapshots.commit(chain, key);
      this.logger.debug({ layer: digest, chain, entries: result.entries }, 'layer unpacked');
    } catch (error) {
      await this.snapshots.remove(key).catch(() => undefined);
      if (signal?.aborted) throw abortedError(signal, `unpacking layer ${digest}`);
      throw error;
    }
  }

  /** Removes committed layers no remaining image needs, top of each unused chain first. */
  async collect(inUse: readonly Pick<ImageRecord, 'diffIds'>[]): Promise<void> {
    const needed = new Set<string>(inUse.flatMap((image) => chainIds(image.diffIds)));
    let removed = true;
    while (removed) {
      removed = false;
      for (const info of this.snapshots.list()) {
        if (info.kind !== 'committed' || needed.has(info.key)) continue;
        try {
          await this.snapshots.remove(info.key);
          removed = true;
        } catch {
          // still a parent of another snapshot (a container's, or a layer removed later)
        }
      }
    }
  }
}
