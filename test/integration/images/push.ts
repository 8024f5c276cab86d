// Hand-made images pushed over the OCI distribution API (POST + PUT uploads, PUT manifests) to a
// writable docker-registry, so a test can serve exactly the bytes it wants: over-sized
// manifests, lying configs, nested indexes, layers that are not what the config says.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { buildTar, type TarEntry } from '../snapshots/tar-fixtures.js';

export const ociIndex = 'application/vnd.oci.image.index.v1+json';
export const ociManifest = 'application/vnd.oci.image.manifest.v1+json';
export const ociConfig = 'application/vnd.oci.image.config.v1+json';
export const ociLayerTar = 'application/vnd.oci.image.layer.v1.tar';
export const ociLayerGzip = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface PushedDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string };
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Monolithic upload: POST a session, PUT the bytes with their digest. */
export async function pushBlob(registryUrl: string, repository: string, bytes: Uint8Array, mediaType: string): Promise<PushedDescriptor> {
  const digest = sha256(bytes);
  const started = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  if (started.status !== 202) throw new Error(`upload of ${digest} to ${repository}: HTTP ${started.status} ${await started.text()}`);
  const location = new URL(started.headers.get('location') ?? '', registryUrl);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`upload of ${digest} to ${repository}: HTTP ${put.status} ${await put.text()}`);
  return { mediaType, digest, size: bytes.length };
}

/** PUTs a manifest or index under `reference` (a tag or its digest); answers its descriptor. */
export async function pushManifest(registryUrl: string, repository: string, reference: string, mediaType: string, bytes: Uint8Array): Promise<PushedDescriptor> {
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, { method: 'PUT', body: bytes, headers: { 'content-type': mediaType } });
  if (response.status !== 201) throw new Error(`manifest ${repository}:${reference}: HTTP ${response.status} ${await response.text()}`);
  return { mediaType, digest: sha256(bytes), size: bytes.length };
}

export interface Layer {
  /** The blob as pushed. */
  blob: Buffer;
  mediaType: string;
  /** sha256 of the uncompressed tar. */
  diffId: string;
}

export async function gzipLayer(entries: TarEntry[]): Promise<Layer> {
  const tar = await buildTar(entries);
  return { blob: await gzip(Readable.from([tar])), mediaType: ociLayerGzip, diffId: sha256(tar) };
}

/** An uncompressed layer: the blob is the tar, so its digest is its diff_id. */
export async function tarLayer(entries: TarEntry[]): Promise<Layer> {
  const tar = await buildTar(entries);
  return { blob: tar, mediaType: ociLayerTar, diffId: sha256(tar) };
}

export async function gzip(source: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source.pipe(createGzip({ level: 9 }))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface ImageParts {
  layers: Layer[];
  /** Replaces the config's diff_ids (default: each layer's own). */
  diffIds?: string[];
  /** Merged into the config's `config` object (Env, Volumes, ...). */
  run?: Record<string, unknown>;
  /** Merged into the top of the config. */
  extra?: Record<string, unknown>;
  /** Merged into the top of the manifest. */
  manifestExtra?: Record<string, unknown>;
}

/** Pushes layers, config and manifest; tags the manifest `tag` and answers its descriptor. */
export async function pushImage(registryUrl: string, repository: string, tag: string, parts: ImageParts): Promise<PushedDescriptor> {
  const layers: PushedDescriptor[] = [];
  for (const layer of parts.layers) layers.push(await pushBlob(registryUrl, repository, layer.blob, layer.mediaType));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'], ...parts.run },
      rootfs: { type: 'layers', diff_ids: parts.diffIds ?? parts.layers.map((layer) => layer.diffId) },
      ...parts.extra,
    }),
  );
  const configDescriptor = await pushBlob(registryUrl, repository, config, ociConfig);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: ociManifest, config: configDescriptor, layers, ...parts.manifestExtra }));
  return pushManifest(registryUrl, repository, tag, ociManifest, manifest);
}

/** Pushes an index holding `child` as linux/amd64 under `tag`. */
export async function pushIndex(registryUrl: string, repository: string, tag: string, child: PushedDescriptor): Promise<PushedDescriptor> {
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: ociIndex, manifests: [{ ...child, platform: { os: 'linux', architecture: 'amd64' } }] }));
  return pushManifest(registryUrl, repository, tag, ociIndex, index);
}
