// Image archives as `docker save` writes them since Docker 25: one tar that is both a
// docker-archive (manifest.json + repositories, read by `docker load` of any version and by
// skopeo's docker-archive:) and an OCI image layout (oci-layout + index.json + blobs/sha256/<hex>,
// read by containerd, skopeo's oci-archive: and berth's importer). Every file of both views lives
// once, under blobs/: manifest.json names the config and layer blobs by path.
//
// Blobs are written as stored (layers stay compressed), so saving and loading keeps every digest:
// the manifest in the archive is the one the image was pulled with. An image recorded from an
// index is saved as its platform manifest (the other platforms' blobs were never fetched).
//
// Reading: `readDockerArchive` takes an extracted docker-archive without index.json (skopeo's
// docker-archive, legacy docker save) and turns each manifest.json entry into an OCI manifest
// over blobs it hashes itself; paths come only from manifest.json and must stay in the folder.
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readFile, realpath } from 'node:fs/promises';
import { dirname, join, posix, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { pack as tarPack } from 'tar-stream';
import { InvalidArgumentError, NotFoundError } from '../../common/errors.js';
import type { ContentProvider } from './content-store.js';
import { digestHex, hashDigest, sha256Hasher, sha256Of, type Digest } from './digest.js';
import type { ImageRecord } from './image-store.js';
import { forEachArchiveEntry } from './import.js';
import { parseImageConfig } from './manifest.js';
import { mediaTypes, type Descriptor, type ImageIndex, type ImageManifest } from './oci-types.js';
import { familiarName, parseReference, referenceName } from './reference.js';

/** One image to save: its record, its manifest's size, and the tags (normalized) to save it under. */
export interface SavedImage {
  record: ImageRecord;
  manifestSize: number;
  tags: string[];
}

export interface ArchiveFile {
  name: string;
  bytes: Buffer;
}

export interface ArchiveLayout {
  /** Blobs in the order they are written, each once. */
  blobs: Digest[];
  /** index.json, manifest.json, oci-layout and repositories. */
  files: ArchiveFile[];
}

const containerdNameAnnotation = 'io.containerd.image.name';
const refNameAnnotation = 'org.opencontainers.image.ref.name';

const blobName = (digest: string): string => `blobs/sha256/${digestHex(digest as Digest)}`;

/** Pure: what a save of `images` writes besides the blobs' bytes. */
export function archiveLayout(images: readonly SavedImage[]): ArchiveLayout {
  const blobs: Digest[] = [];
  const seen = new Set<Digest>();
  const addBlob = (digest: Digest): void => {
    if (!seen.has(digest)) blobs.push(digest);
    seen.add(digest);
  };
  const index: ImageIndex & { mediaType: string } = { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [] };
  const manifestJson: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { record, manifestSize, tags } of images) {
    for (const layer of record.layers) addBlob(layer.digest as Digest);
    addBlob(record.id);
    addBlob(record.manifestDigest);
    const descriptor: Descriptor = { mediaType: record.manifestMediaType, digest: record.manifestDigest, size: manifestSize };
    const topLayer = record.layers.at(-1);
    for (const tag of tags) {
      const reference = parseReference(tag);
      index.manifests.push({ ...descriptor, annotations: { [containerdNameAnnotation]: tag, [refNameAnnotation]: reference.tag ?? 'latest' } });
      const repository = familiarName({ domain: reference.domain, path: reference.path });
      if (topLayer) repositories[repository] = { ...repositories[repository], [reference.tag ?? 'latest']: digestHex(topLayer.digest as Digest) };
    }
    if (tags.length === 0) index.manifests.push(descriptor);
    manifestJson.push({
      Config: blobName(record.id),
      RepoTags: tags.length > 0 ? tags.map((tag) => familiarName(parseReference(tag))) : null,
      Layers: record.layers.map((layer) => blobName(layer.digest)),
    });
  }
  const json = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value)}\n`);
  const files = [
    { name: 'index.json', bytes: json(index) },
    { name: 'manifest.json', bytes: json(manifestJson) },
    { name: 'oci-layout', bytes: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
  ];
  if (Object.keys(repositories).length > 0) files.push({ name: 'repositories', bytes: json(repositories) });
  return { blobs, files };
}

/** The archive as a tar stream: directories, blobs (streamed from the store), then the files. */
export function writeArchive(layout: ArchiveLayout, content: Pick<ContentProvider, 'info' | 'readStream'>): Readable {
  const pack = tarPack();
  const mtime = new Date(0);
  const add = (header: { name: string; size?: number; type?: 'directory' | 'file'; mode: number }, body?: Readable | Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      const entry = pack.entry({ ...header, mtime }, (error) => (error ? reject(error) : resolve()));
      if (body && !Buffer.isBuffer(body)) pipeline(body, entry).catch(reject);
      else entry.end(body);
    });
  void (async () => {
    await add({ name: 'blobs/', type: 'directory', mode: 0o755 });
    await add({ name: 'blobs/sha256/', type: 'directory', mode: 0o755 });
    for (const digest of layout.blobs) {
      const { size } = await content.info(digest);
      await add({ name: blobName(digest), size, mode: 0o644 }, await content.readStream(digest));
    }
    for (const file of layout.files) await add({ name: file.name, size: file.bytes.length, mode: 0o644 }, file.bytes);
    pack.finalize();
  })().catch((error: unknown) => pack.destroy(error as Error));
  return Readable.from(pack);
}

/**
 * Unpacks an image archive's files into `dir` (which must be empty). Only directories and regular
 * files are written; links are skipped (skopeo's docker-archive carries legacy <id>/layer.tar
 * symlinks nobody needs), so nothing extracted can point outside `dir`.
 */
export async function extractArchive(tarPath: string, dir: string): Promise<void> {
  await forEachArchiveEntry(tarPath, async (name, entry) => {
    const path = join(dir, name);
    if (entry.header.type === 'directory') {
      await mkdir(path, { recursive: true });
    } else if (entry.header.type === 'file' || entry.header.type === 'contiguous-file') {
      await mkdir(dirname(path), { recursive: true });
      await pipeline(entry as AsyncIterable<Uint8Array>, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    } else if (entry.header.type !== 'symlink' && entry.header.type !== 'link') {
      throw new InvalidArgumentError(`image archive ${tarPath}: entry ${JSON.stringify(entry.header.name)} is a ${entry.header.type}; archives may hold only files`);
    }
  });
}

/** A docker-archive image as an OCI image: its manifest and where each blob's bytes are. */
export interface DockerArchiveImage {
  /** Full normalized tag references from RepoTags. */
  tags: string[];
  manifest: Buffer;
  manifestDigest: Digest;
  /** digest → file holding exactly those bytes (the config, each layer as it is in the archive). */
  blobs: Map<Digest, { path: string; size: number }>;
}

interface ManifestJsonEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

const maxConfigBytes = 8 * 1024 * 1024;

/** Reads an extracted docker-archive (manifest.json); each entry becomes an OCI manifest. */
export async function readDockerArchive(dir: string, what: string): Promise<DockerArchiveImage[]> {
  const root = await realpath(dir);
  const entries = parseManifestJson(
    await readFile(join(root, 'manifest.json')).catch(() => {
      throw new InvalidArgumentError(`${what} holds neither index.json nor manifest.json; is it an image archive?`);
    }),
    what,
  );
  const images: DockerArchiveImage[] = [];
  for (const [i, entry] of entries.entries()) {
    const entryWhat = `${what}: manifest.json entry ${i}`;
    if (typeof entry.Config !== 'string' || !Array.isArray(entry.Layers) || !entry.Layers.every((l) => typeof l === 'string')) {
      throw new InvalidArgumentError(`${entryWhat} lacks Config or Layers`);
    }
    const repoTags = entry.RepoTags === null || entry.RepoTags === undefined ? [] : entry.RepoTags;
    if (!Array.isArray(repoTags) || !repoTags.every((t) => typeof t === 'string')) throw new InvalidArgumentError(`${entryWhat}: RepoTags is not a list of names`);
    const configPath = await memberPath(root, entry.Config, entryWhat);
    const configBytes = await readLimitedFile(configPath, maxConfigBytes, `${entryWhat}: config ${entry.Config}`);
    const layerPaths = entry.Layers as string[];
    const config = parseImageConfig(configBytes, `${entryWhat}: config ${entry.Config}`, layerPaths.length);
    const configDigest = sha256Of(configBytes);
    const blobs = new Map<Digest, { path: string; size: number }>([[configDigest, { path: configPath, size: configBytes.length }]]);
    const layers: Descriptor[] = [];
    for (const [n, layerName] of layerPaths.entries()) {
      const path = await memberPath(root, layerName, entryWhat);
      const { digest, size, diffId, gzipped } = await hashLayerFile(path);
      if (diffId !== config.rootfs.diff_ids[n]) {
        throw new InvalidArgumentError(`${entryWhat}: layer ${layerName} unpacks to ${diffId}, but the config says ${config.rootfs.diff_ids[n] ?? 'nothing'}`);
      }
      blobs.set(digest, { path, size });
      layers.push({ mediaType: gzipped ? mediaTypes.ociLayerGzip : mediaTypes.ociLayer, digest, size });
    }
    const manifest: ImageManifest & { mediaType: string } = {
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: mediaTypes.ociConfig, digest: configDigest, size: configBytes.length },
      layers,
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    images.push({ tags: repoTags.map((tag) => docker25Tag(tag, entryWhat)), manifest: manifestBytes, manifestDigest: sha256Of(manifestBytes), blobs });
  }
  return images;
}

function parseManifestJson(bytes: Buffer, what: string): ManifestJsonEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidArgumentError(`${what}: manifest.json is not JSON`);
  }
  if (!Array.isArray(parsed) || !parsed.every((entry) => entry && typeof entry === 'object')) {
    throw new InvalidArgumentError(`${what}: manifest.json is not a list of images`);
  }
  return parsed as ManifestJsonEntry[];
}

function docker25Tag(tag: string, what: string): string {
  const reference = parseReference(tag);
  if (reference.digest !== undefined || reference.tag === undefined) throw new InvalidArgumentError(`${what}: RepoTags entry ${JSON.stringify(tag)} is not name:tag`);
  return `${referenceName(reference)}:${reference.tag}`;
}

/** A member named by manifest.json: a regular file inside the archive folder, never a link. */
async function memberPath(root: string, name: string, what: string): Promise<string> {
  const normalized = posix.normalize(name);
  if (name.startsWith('/') || normalized === '..' || normalized.startsWith('../') || name.includes('\0')) {
    throw new InvalidArgumentError(`${what}: ${JSON.stringify(name)} leaves the archive`);
  }
  const path = join(root, normalized);
  const info = await lstat(path).catch(() => undefined);
  if (!info) throw new NotFoundError(`${what}: the archive lacks ${name}`);
  if (!info.isFile()) throw new InvalidArgumentError(`${what}: ${name} is not a regular file`);
  const real = await realpath(path);
  if (!real.startsWith(`${root}${sep}`)) throw new InvalidArgumentError(`${what}: ${name} resolves outside the archive`);
  return real;
}

async function readLimitedFile(path: string, limit: number, what: string): Promise<Buffer> {
  const info = await lstat(path);
  if (info.size > limit) throw new InvalidArgumentError(`${what} is ${info.size} bytes, over the ${limit}-byte limit`);
  return readFile(path);
}

/** The layer file's digest and size as stored, and the diff_id of its tar (gunzipped when gzip). */
export async function hashLayerFile(path: string): Promise<{ digest: Digest; size: number; diffId: Digest; gzipped: boolean }> {
  const handle = await open(path, 'r');
  const magic = Buffer.alloc(2);
  await handle.read(magic, 0, 2, 0).finally(() => handle.close());
  const gzipped = magic[0] === 0x1f && magic[1] === 0x8b;
  const raw = sha256Hasher();
  const tar = sha256Hasher();
  let size = 0;
  const source = createReadStream(path);
  source.on('data', (chunk) => {
    raw.update(chunk as Buffer);
    size += chunk.length;
  });
  if (gzipped) {
    const gunzip = createGunzip();
    gunzip.on('data', (chunk: Buffer) => tar.update(chunk));
    await pipeline(source, gunzip);
  } else {
    await new Promise<void>((resolve, reject) => source.on('end', resolve).on('error', reject));
  }
  const digest = hashDigest(raw);
  return { digest, size, diffId: gzipped ? hashDigest(tar) : digest, gzipped };
}
