// Pulling an image: resolve the reference on the registry, pick the platform's manifest from an
// index (indexes may nest, up to maxIndexDepth), fetch and check the config, then the layers (at
// most `concurrency` at once) into the content store, each verified against its digest, then
// record the image. The caller unpacks layers in `beforeRecord`, so an image is recorded only
// once it can run. All or nothing: a pull that fails deletes the blobs it wrote that nothing else
// references; its caller removes what it unpacked.
import { InvalidArgumentError, ResourceExhaustedError, errorMessage } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import type { RegistryAuth } from './auth.js';
import { mapBounded } from './bounded-map.js';
import type { ContentIngester, ContentManager, ContentProvider } from './content-store.js';
import type { Digest } from './digest.js';
import type { ImageRecord, ImageStore, NewImage } from './image-store.js';
import { isIndexMediaType, manifestMediaTypes, parseImageConfig, parseIndex, parseManifest } from './manifest.js';
import type { Descriptor, Platform } from './oci-types.js';
import { formatPlatform, hostPlatform, normalizePlatform, platformRank, selectPlatformManifest } from './platform.js';
import { digestedName, formatReference, parseReference, taggedName } from './reference.js';
import { maxManifestBytes, type RegistryClient } from './registry-client.js';

export interface PullProgress {
  digest: Digest;
  /** "config" or "layer" */
  kind: 'config' | 'layer';
  done: number;
  total: number;
}

export interface PullOptions {
  auth?: RegistryAuth;
  /** Defaults to this host's platform; when given, a single-manifest image must match it. */
  platform?: Platform;
  onProgress?: (progress: PullProgress) => void;
  /** The caller's: aborting it stops every request of the pull, which then cleans up as any failed pull. */
  signal?: AbortSignal | undefined;
  /**
   * Runs once every blob is in the content store and before the image is recorded (berth
   * unpacks the layers here): when it fails, the image is not recorded.
   */
  beforeRecord?: (image: NewImage) => Promise<void>;
}

export interface PullerDependencies {
  registry: RegistryClient;
  content: ContentProvider & ContentIngester & Pick<ContentManager, 'delete'>;
  images: ImageStore;
  logger?: Logger;
  /** Blobs fetched at once; 3 like containerd's default max_concurrent_downloads. */
  concurrency?: number;
}

/**
 * An index may list indexes (OCI allows it); past this depth the image is refused. Content
 * addressing already rules out a cycle (an index cannot contain its own digest, and every
 * manifest fetched by digest is verified), so this bounds the chain's length, and a lying
 * registry that serves an index for its child's digest fails the digest check on the way.
 */
export const maxIndexDepth = 3;

/** containerd's limit for a manifest is 4 MiB; a config is metadata of the same kind. */
export const maxConfigBytes = 8 * 1024 * 1024;

export class Puller {
  private readonly logger: Logger;
  private readonly concurrency: number;
  /** Blobs each pull in flight needs: a failed pull never deletes what another one counts on. */
  private readonly leases = new Map<Digest, number>();
  /** Blobs a failed pull is deleting: a pull that leases one waits, then fetches it again. */
  private readonly deleting = new Map<Digest, Promise<void>>();
  /** Bytes of blobs fetched from registries since start (blobs already here count nothing). */
  fetchedBytes = 0;

  constructor(private readonly deps: PullerDependencies) {
    this.logger = deps.logger ?? silentLogger();
    this.concurrency = deps.concurrency ?? 3;
  }

  /**
   * Fetches and records `imageRef`. A pull that fails leaves nothing of its own behind: every
   * blob it wrote that no recorded image (and no other pull in flight) references is deleted.
   */
  async pull(imageRef: string, options: PullOptions = {}): Promise<ImageRecord> {
    const leased: Digest[] = [];
    const written: Digest[] = [];
    const lease = (digest: Digest): void => {
      leased.push(digest);
      this.leases.set(digest, (this.leases.get(digest) ?? 0) + 1);
    };
    try {
      const image = await this.fetch(imageRef, options, lease, (digest) => written.push(digest));
      await options.beforeRecord?.(image);
      const record = await this.deps.images.add(image);
      this.logger.info({ image: imageRef, imageId: record.id, manifest: record.manifestDigest, size: record.size }, 'pulled image');
      return record;
    } catch (error) {
      // Its own leases go first, so that only other pulls' leases protect a blob from the discard.
      this.release(leased);
      await this.discard(written, imageRef);
      throw error;
    } finally {
      this.release(leased);
    }
  }

  /** Releases (and empties) `leased`. */
  private release(leased: Digest[]): void {
    for (const digest of leased.splice(0)) {
      const count = (this.leases.get(digest) ?? 1) - 1;
      if (count > 0) this.leases.set(digest, count);
      else this.leases.delete(digest);
    }
  }

  private async discard(written: readonly Digest[], imageRef: string): Promise<void> {
    const referenced = this.deps.images.referencedBlobs();
    const orphans = [...new Set(written)].filter((digest) => !referenced.has(digest) && !this.leases.has(digest));
    // Marked in the same turn as the check above, so no other pull sees one as present meanwhile.
    const deletions = orphans.map((digest) => {
      const deleted = this.deps.content.delete(digest).then(
        () => undefined,
        (error: unknown) => this.logger.warn({ image: imageRef, blob: digest, err: errorMessage(error) }, 'cannot delete a blob of a failed pull'),
      );
      this.deleting.set(digest, deleted);
      return deleted.finally(() => this.deleting.delete(digest));
    });
    await Promise.all(deletions);
    if (orphans.length > 0) this.logger.debug({ image: imageRef, blobs: orphans.length }, 'deleted the blobs of a failed pull');
  }

  private async fetch(imageRef: string, options: PullOptions, lease: (digest: Digest) => void, wrote: (digest: Digest) => void): Promise<NewImage> {
    const reference = parseReference(imageRef);
    const name = formatReference(reference);
    const platform = normalizePlatform(options.platform ?? hostPlatform());
    const { repository, manifest: top } = await this.deps.registry.resolve(reference, options.auth, options.signal);
    const log = this.logger.child({ image: name });
    const store = async (digest: Digest, write: () => Promise<unknown>): Promise<void> => {
      lease(digest);
      await this.deleting.get(digest);
      if (await this.deps.content.has(digest)) return;
      await write();
      wrote(digest);
    };

    // Walk down the indexes to the platform's manifest. Only the top index is stored (the record
    // names it); the ones between are read and dropped.
    let manifest = top;
    let indexDigest: Digest | undefined;
    let depth = 0;
    while (isIndexMediaType(manifest.mediaType)) {
      if (depth === maxIndexDepth) {
        throw new InvalidArgumentError(`image ${name} nests image indexes deeper than ${maxIndexDepth} levels (at ${manifest.digest}): refusing it`);
      }
      const index = parseIndex(manifest.bytes, `index ${manifest.digest} of ${name}`);
      const chosen = selectPlatformManifest(index.manifests, platform, name);
      log.debug({ platform: formatPlatform(platform), manifest: chosen.digest, depth }, 'selected platform manifest');
      if (chosen.size > maxManifestBytes) {
        throw new ResourceExhaustedError(`manifest ${chosen.digest} of ${name} is ${chosen.size} bytes, over the ${maxManifestBytes}-byte manifest limit: refusing it`);
      }
      depth += 1;
      manifest = await repository.getManifest(chosen.digest);
      if (manifest.digest !== chosen.digest) throw new InvalidArgumentError(`manifest ${chosen.digest} of ${name} fetched as ${manifest.digest}`);
      indexDigest ??= top.digest;
    }
    if (!manifestMediaTypes.has(manifest.mediaType)) {
      log.warn({ mediaType: manifest.mediaType }, 'unexpected manifest media type; reading it as an OCI manifest');
    }
    const parsed = parseManifest(manifest.bytes, `manifest ${manifest.digest} of ${name}`);
    for (const fetched of indexDigest === undefined ? [manifest] : [top, manifest]) {
      await store(fetched.digest, () => this.deps.content.ingestBytes(fetched.bytes, fetched.digest));
    }

    const fetchBlob = async (descriptor: Descriptor, kind: PullProgress['kind']): Promise<void> => {
      const digest = descriptor.digest as Digest;
      const report = (done: number): void => options.onProgress?.({ digest, kind, done, total: descriptor.size });
      let fetched = false;
      await store(digest, async () => {
        await this.deps.content.ingest(digest, descriptor.size, repository.blobSource(descriptor), report);
        this.fetchedBytes += descriptor.size;
        fetched = true;
      });
      if (!fetched) report(descriptor.size);
    };

    // The config first: an image refused for what it asks (its size, its Env, its volumes) costs
    // no layer download.
    const configDigest = parsed.config.digest as Digest;
    const configWhat = `config ${configDigest} of ${name}`;
    if (parsed.config.size > maxConfigBytes) {
      throw new ResourceExhaustedError(`${configWhat} is ${parsed.config.size} bytes, over the ${maxConfigBytes}-byte config limit: refusing it`);
    }
    await fetchBlob(parsed.config, 'config');
    const config = parseImageConfig(await this.deps.content.readBytes(configDigest, maxConfigBytes), configWhat, parsed.layers.length);
    if (
      options.platform &&
      indexDigest === undefined &&
      platformRank(platform, { os: config.os, architecture: config.architecture, ...(config.variant !== undefined && { variant: config.variant }) }) === undefined
    ) {
      throw new InvalidArgumentError(`image ${name} is built for ${formatPlatform({ os: config.os, architecture: config.architecture })}, not the requested ${formatPlatform(platform)}`);
    }
    await mapBounded(parsed.layers, this.concurrency, (layer) => fetchBlob(layer, 'layer'));

    const tagged = taggedName(reference);
    return {
      id: configDigest,
      repoTags: tagged === undefined ? [] : [tagged],
      repoDigests: [digestedName(reference, top.digest)],
      size: parsed.config.size + parsed.layers.reduce((sum, layer) => sum + layer.size, 0),
      config,
      manifestDigest: manifest.digest,
      manifestMediaType: manifest.mediaType,
      ...(indexDigest !== undefined && { indexDigest }),
      layers: parsed.layers,
      diffIds: config.rootfs.diff_ids as Digest[],
    };
  }
}
