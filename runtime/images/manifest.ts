// Shape checks for manifests, indexes and image configs read from registries and archives:
// untrusted JSON becomes a typed value only after every digest in it is validated, so no later
// step builds a path or URL from an unchecked string.
import { InvalidArgumentError, UnimplementedError } from '../../common/errors.js';
import { parseDigest } from './digest.js';
import { mediaTypes, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest } from './oci-types.js';

export const indexMediaTypes: ReadonlySet<string> = new Set([mediaTypes.ociIndex, mediaTypes.dockerManifestList]);
export const manifestMediaTypes: ReadonlySet<string> = new Set([mediaTypes.ociManifest, mediaTypes.dockerManifest]);
export const layerMediaTypes: ReadonlySet<string> = new Set([
  mediaTypes.ociLayer,
  mediaTypes.ociLayerGzip,
  mediaTypes.ociLayerZstd,
  mediaTypes.dockerLayerGzip,
  mediaTypes.dockerForeignLayerGzip,
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);

export function isIndexMediaType(mediaType: string): boolean {
  return indexMediaTypes.has(mediaType);
}

export function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new InvalidArgumentError(`${what} is not valid JSON`);
  }
}

export function checkDescriptor(value: unknown, what: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (!d || typeof d !== 'object' || typeof d.mediaType !== 'string' || typeof d.digest !== 'string') {
    throw new InvalidArgumentError(`${what} is not a descriptor (mediaType, digest, size)`);
  }
  parseDigest(d.digest, `${what} digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new InvalidArgumentError(`${what} has an invalid size ${JSON.stringify(d.size)}`);
  }
  return d as Descriptor;
}

export function parseIndex(bytes: Uint8Array, what: string): ImageIndex {
  const index = parseJson(bytes, what) as Partial<ImageIndex> | null;
  if (!index || !Array.isArray(index.manifests)) throw new InvalidArgumentError(`${what} is not an image index (no "manifests")`);
  index.manifests.forEach((entry, i) => checkDescriptor(entry, `${what} manifests[${i}]`));
  return index as ImageIndex;
}

export function parseManifest(bytes: Uint8Array, what: string): ImageManifest {
  const manifest = parseJson(bytes, what) as Partial<ImageManifest> | null;
  if (!manifest || typeof manifest !== 'object') throw new InvalidArgumentError(`${what} is not an image manifest`);
  if ((manifest as { schemaVersion?: unknown }).schemaVersion === 1) {
    throw new UnimplementedError(`${what} is a Docker schema 1 manifest, which berth does not support`);
  }
  checkDescriptor(manifest.config, `${what} config`);
  if (!Array.isArray(manifest.layers)) throw new InvalidArgumentError(`${what} has no "layers" list`);
  manifest.layers.forEach((layer, i) => {
    const descriptor = checkDescriptor(layer, `${what} layers[${i}]`);
    if (!layerMediaTypes.has(descriptor.mediaType)) {
      throw new UnimplementedError(`${what} layers[${i}] has media type ${descriptor.mediaType}, which berth cannot unpack`);
    }
  });
  return manifest as ImageManifest;
}

export function parseImageConfig(bytes: Uint8Array, what: string, layerCount: number): ImageConfig {
  const config = parseJson(bytes, what) as Partial<ImageConfig> | null;
  if (!config || typeof config !== 'object' || !config.rootfs || !Array.isArray(config.rootfs.diff_ids)) {
    throw new InvalidArgumentError(`${what} is not an image config (no rootfs.diff_ids)`);
  }
  config.rootfs.diff_ids.forEach((id, i) => parseDigest(String(id), `${what} rootfs.diff_ids[${i}]`));
  if (config.rootfs.diff_ids.length !== layerCount) {
    throw new InvalidArgumentError(
      `${what} lists ${config.rootfs.diff_ids.length} diff_ids for ${layerCount} layers; the image is inconsistent`,
    );
  }
  return config as ImageConfig;
}
