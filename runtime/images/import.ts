// Importing images without a registry: an OCI image layout directory (oci-layout, index.json,
// blobs/sha256/<hex>) or a tar archive of one (what `docker save` writes since Docker 25 and
// `skopeo copy ... oci-archive:` writes). Every blob goes through the content store's verified
// ingest; a blob's path comes only from a validated digest, a layout's blob may not resolve
// (symlinks included) outside the layout, and an archive may hold no links or ".." paths.
//
// Names: `io.containerd.image.name` is a full reference; `org.opencontainers.image.ref.name` is a
// full reference when it has "/", ":" or "@", else a tag that is appended to the caller's
// `repository` (without one the image is imported by id only).
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, type Header } from 'tar-stream';
import { InvalidArgumentError, NotFoundError, UnimplementedError, errorMessage } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import type { Content } from './content-store.js';
import { digestHex, parseDigest, type Digest } from './digest.js';
import type { ImageRecord, ImageStore } from './image-store.js';
import { isIndexMediaType, parseImageConfig, parseIndex, parseManifest } from './manifest.js';
import type { Descriptor, Platform } from './oci-types.js';
import { hostPlatform, normalizePlatform, selectPlatformManifest } from './platform.js';
import { digestedName, formatReference, isValidTag, parseReference, taggedName, type ImageReference } from './reference.js';

export interface ImportDependencies {
  content: Content;
  images: ImageStore;
  logger?: Logger;
}

export interface ImportOptions {
  /** Repository for entries whose ref.name is a bare tag, e.g. "localhost/berth/busybox". */
  repository?: string;
  /** Platform picked from nested indexes; defaults to this host's. */
  platform?: Platform;
}

const refNameAnnotation = 'org.opencontainers.image.ref.name';
const containerdNameAnnotation = 'io.containerd.image.name';
const maxIndexBytes = 4 * 1024 * 1024;

/** Ensures the blob a descriptor names is in the content store, verified. */
type BlobFetcher = (descriptor: Descriptor) => Promise<void>;

/**
 * Imports every image listed in the layout's index.json. Each record answered carries the names
 * this import gave it; the stored record keeps the names it had before too.
 */
export async function importOciLayout(dir: string, deps: ImportDependencies, options: ImportOptions = {}): Promise<ImageRecord[]> {
  const root = await realpath(dir).catch((error: unknown) => {
    throw new NotFoundError(`OCI layout ${dir} cannot be opened: ${errorMessage(error)}`);
  });
  await readFile(join(root, 'oci-layout')).catch(() => {
    throw new InvalidArgumentError(`${dir} is not an OCI image layout (no oci-layout file)`);
  });
  const indexBytes = await readFile(join(root, 'index.json')).catch(() => {
    throw new InvalidArgumentError(`${dir} is not an OCI image layout (no index.json)`);
  });
  const fetchBlob: BlobFetcher = async (descriptor) => {
    const digest = parseDigest(descriptor.digest);
    if (await deps.content.has(digest)) return;
    const path = await realpath(join(root, 'blobs', 'sha256', digestHex(digest))).catch(() => {
      throw new NotFoundError(`OCI layout ${dir} lacks blob ${digest}`);
    });
    if (!path.startsWith(`${root}${sep}`)) throw new InvalidArgumentError(`OCI layout ${dir}: blob ${digest} resolves outside the layout`);
    await deps.content.ingest(digest, descriptor.size, async () => ({ start: 0, body: createReadStream(path) }));
  };
  return importIndex(indexBytes, `${dir}/index.json`, fetchBlob, deps, options);
}

/** Imports a tar (not compressed) of an OCI image layout. */
export async function importArchive(tarPath: string, deps: ImportDependencies, options: ImportOptions = {}): Promise<ImageRecord[]> {
  await stat(tarPath).catch((error: unknown) => {
    throw new NotFoundError(`image archive ${tarPath} cannot be opened: ${errorMessage(error)}`);
  });
  const before = new Set((await deps.content.list()).map((blob) => blob.digest));
  const added = new Set<Digest>();
  const files = new Map<string, Buffer>();
  await forEachArchiveEntry(tarPath, async (name, entry) => {
    if (entry.header.type === 'directory') return;
    if (entry.header.type !== 'file' && entry.header.type !== 'contiguous-file') {
      throw new InvalidArgumentError(`image archive ${tarPath}: entry ${JSON.stringify(entry.header.name)} is a ${entry.header.type}; archives may hold only files`);
    }
    const blob = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
    if (blob) {
      const digest = `sha256:${blob[1]}` as Digest;
      await deps.content.ingest(digest, entry.header.size, async () => ({ start: 0, body: entry as AsyncIterable<Uint8Array> }));
      if (!before.has(digest)) added.add(digest);
    } else if ((name === 'index.json' || name === 'oci-layout' || name === 'manifest.json') && (entry.header.size ?? 0) <= maxIndexBytes) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      files.set(name, Buffer.concat(chunks));
    }
  });

  const index = files.get('index.json');
  if (!index) {
    if (files.has('manifest.json')) {
      throw new UnimplementedError(`image archive ${tarPath} is a legacy "docker save" archive without index.json; save it with Docker 25+ or skopeo (oci-archive:) instead`);
    }
    throw new InvalidArgumentError(`image archive ${tarPath} holds no index.json; is it an OCI image layout tar?`);
  }
  const fetchBlob: BlobFetcher = async (descriptor) => {
    if (!(await deps.content.has(parseDigest(descriptor.digest)))) {
      throw new NotFoundError(`image archive ${tarPath} lacks blob ${descriptor.digest}`);
    }
  };
  const records = await importIndex(index, `${tarPath}:index.json`, fetchBlob, deps, options);
  // Blobs the archive carried that no image needs (other platforms, say) are not kept.
  const used = deps.images.referencedBlobs();
  for (const digest of added) if (!used.has(digest)) await deps.content.delete(digest);
  return records;
}

/**
 * Visits each entry of the (uncompressed) tar at `tarPath` with its checked path, in order; what
 * of an entry's body `visit` leaves unread is skipped. A throw from `visit` stops the reading.
 */
export async function forEachArchiveEntry(tarPath: string, visit: (name: string, entry: TarEntry) => Promise<void>): Promise<void> {
  const extract = tarExtract();
  const reading = pipeline(createReadStream(tarPath), extract);
  try {
    for await (const entry of extract) {
      await visit(archivePath(entry.header.name, tarPath), entry);
      entry.resume();
    }
    await reading;
  } catch (error) {
    extract.destroy();
    await reading.catch(() => undefined);
    throw error;
  }
}

type TarEntry = AsyncIterable<unknown> & { header: Header; resume(): void };

function archivePath(raw: string, tarPath: string): string {
  const name = posix.normalize(raw.replace(/^(\.\/)+/, ''));
  if (raw.startsWith('/') || name === '..' || name.startsWith('../') || name.includes('\0')) {
    throw new InvalidArgumentError(`image archive ${tarPath}: entry ${JSON.stringify(raw)} escapes the archive root`);
  }
  return name.replace(/\/$/, '');
}

async function importIndex(indexBytes: Buffer, what: string, fetchBlob: BlobFetcher, deps: ImportDependencies, options: ImportOptions): Promise<ImageRecord[]> {
  const logger = deps.logger ?? silentLogger();
  if (indexBytes.length > maxIndexBytes) throw new InvalidArgumentError(`${what} is larger than ${maxIndexBytes} bytes`);
  const index = parseIndex(indexBytes, what);
  const platform = normalizePlatform(options.platform ?? hostPlatform());
  const records: ImageRecord[] = [];
  for (const entry of index.manifests) {
    const reference = entryName(entry, options, what);
    if (!reference) logger.warn({ manifest: entry.digest }, 'image has no usable name; importing it by id only');
    const label = reference ? formatReference(reference) : entry.digest;

    let manifestDescriptor = entry;
    let indexDigest: Digest | undefined;
    if (isIndexMediaType(entry.mediaType)) {
      await fetchBlob(entry);
      const nested = parseIndex(await deps.content.readBytes(entry.digest as Digest, maxIndexBytes), `index ${entry.digest} of ${label}`);
      manifestDescriptor = selectPlatformManifest(nested.manifests, platform, label);
      indexDigest = entry.digest as Digest;
    }
    await fetchBlob(manifestDescriptor);
    const manifestDigest = manifestDescriptor.digest as Digest;
    const manifest = parseManifest(await deps.content.readBytes(manifestDigest, maxIndexBytes), `manifest ${manifestDigest} of ${label}`);
    for (const blob of [manifest.config, ...manifest.layers]) await fetchBlob(blob);
    const configDigest = manifest.config.digest as Digest;
    const config = parseImageConfig(await deps.content.readBytes(configDigest), `config ${configDigest} of ${label}`, manifest.layers.length);

    const tagged = reference && taggedName(reference);
    const names = { repoTags: tagged ? [tagged] : [], repoDigests: reference ? [digestedName(reference, entry.digest as Digest)] : [] };
    const stored = await deps.images.add({
      id: configDigest,
      ...names,
      size: manifest.config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0),
      config,
      manifestDigest,
      manifestMediaType: manifestDescriptor.mediaType,
      ...(indexDigest !== undefined && { indexDigest }),
      layers: manifest.layers,
      diffIds: config.rootfs.diff_ids as Digest[],
    });
    records.push({ ...stored, ...names });
    logger.info({ image: label, imageId: configDigest }, 'imported image');
  }
  return records;
}

function entryName(entry: Descriptor, options: ImportOptions, what: string): ImageReference | undefined {
  const full = entry.annotations?.[containerdNameAnnotation];
  if (full) return parseReference(full);
  const refName = entry.annotations?.[refNameAnnotation];
  if (!refName) return undefined;
  if (/[/:@]/.test(refName)) return parseReference(refName);
  if (!isValidTag(refName)) throw new InvalidArgumentError(`${what}: ref.name ${JSON.stringify(refName)} is neither a tag nor a reference`);
  if (options.repository === undefined) return undefined;
  const repository = parseReference(options.repository);
  const text = options.repository;
  if (repository.digest !== undefined || text.lastIndexOf(':') > text.lastIndexOf('/')) {
    throw new InvalidArgumentError(`import repository ${JSON.stringify(options.repository)} must be a name without tag or digest`);
  }
  return { domain: repository.domain, path: repository.path, tag: refName };
}
