// Pulling an image: resolve the reference on the registry, pick the platform's manifest from an
// index, fetch the config and the layers (at most `concurrency` at once) into the content store,
// each verified against its digest, then record the image. Unpacking layers into snapshots is the
// caller's next step: the returned record carries the layer descriptors and diff_ids it needs.
import { InvalidArgumentError } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import type { RegistryAuth } from './auth.js';
import { mapBounded } from './bounded-map.js';
import type { ContentIngester, ContentProvider } from './content-store.js';
import type { Digest } from './digest.js';
import type { ImageRecord, ImageStore } from './image-store.js';
import { isIndexMediaType, manifestMediaTypes, parseImageConfig, parseIndex, parseManifest } from './manifest.js';
import type { Descriptor, Platform } from './oci-types.js';
import { formatPlatform, hostPlatform, normalizePlatform, platformRank, selectPlatformManifest } from './platform.js';
import { digestedName, formatReference, parseReference, taggedName } from './reference.js';
import type { RegistryClient } from './registry-client.js';

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
}

export interface PullerDependencies {
  registry: RegistryClient;
  content: ContentProvider & ContentIngester;
  images: ImageStore;
  logger?: Logger;
  /** Blobs fetched at once; 3 like containerd's default max_concurrent_downloads. */
  concurrency?: number;
}

export class Puller {
  private readonly logger: Logger;
  private readonly concurrency: number;
  /** Bytes of blobs fetched from registries since start (blobs already here count nothing). */
  fetchedBytes = 0;

  constructor(private readonly deps: PullerDependencies) {
    this.logger = deps.logger ?? silentLogger();
    this.concurrency = deps.concurrency ?? 3;
  }

  async pull(imageRef: string, options: PullOptions = {}): Promise<ImageRecord> {
    const reference = parseReference(imageRef);
    const name = formatReference(reference);
    const platform = normalizePlatform(options.platform ?? hostPlatform());
    const { repository, manifest: top } = await this.deps.registry.resolve(reference, options.auth);
    const log = this.logger.child({ image: name });

    let manifest = top;
    let indexDigest: Digest | undefined;
    if (isIndexMediaType(top.mediaType)) {
      const index = parseIndex(top.bytes, `index ${top.digest} of ${name}`);
      await this.deps.content.ingestBytes(top.bytes, top.digest);
      const chosen = selectPlatformManifest(index.manifests, platform, name);
      log.debug({ platform: formatPlatform(platform), manifest: chosen.digest }, 'selected platform manifest');
      manifest = await repository.getManifest(chosen.digest);
      if (manifest.digest !== chosen.digest) throw new InvalidArgumentError(`manifest ${chosen.digest} of ${name} fetched as ${manifest.digest}`);
      indexDigest = top.digest;
    }
    if (!manifestMediaTypes.has(manifest.mediaType) && !isIndexMediaType(manifest.mediaType)) {
      log.warn({ mediaType: manifest.mediaType }, 'unexpected manifest media type; reading it as an OCI manifest');
    }
    const parsed = parseManifest(manifest.bytes, `manifest ${manifest.digest} of ${name}`);
    await this.deps.content.ingestBytes(manifest.bytes, manifest.digest);

    const fetchBlob = async (descriptor: Descriptor, kind: PullProgress['kind']): Promise<void> => {
      const digest = descriptor.digest as Digest;
      const report = (done: number): void => options.onProgress?.({ digest, kind, done, total: descriptor.size });
      if (await this.deps.content.has(digest)) {
        report(descriptor.size);
        return;
      }
      await this.deps.content.ingest(digest, descriptor.size, repository.blobSource(descriptor), report);
      this.fetchedBytes += descriptor.size;
    };
    const blobs: [Descriptor, PullProgress['kind']][] = [[parsed.config, 'config'], ...parsed.layers.map((layer): [Descriptor, 'layer'] => [layer, 'layer'])];
    await mapBounded(blobs, this.concurrency, ([descriptor, kind]) => fetchBlob(descriptor, kind));

    const configDigest = parsed.config.digest as Digest;
    const config = parseImageConfig(await this.deps.content.readBytes(configDigest), `config ${configDigest} of ${name}`, parsed.layers.length);
    if (options.platform && indexDigest === undefined && platformRank(platform, { os: config.os, architecture: config.architecture, ...(config.variant !== undefined && { variant: config.variant }) }) === undefined) {
      throw new InvalidArgumentError(
        `image ${name} is built for ${formatPlatform({ os: config.os, architecture: config.architecture })}, not the requested ${formatPlatform(platform)}`,
      );
    }

    const tagged = taggedName(reference);
    const record = await this.deps.images.add({
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
    });
    log.info({ imageId: record.id, manifest: manifest.digest, size: record.size }, 'pulled image');
    return record;
  }
}
