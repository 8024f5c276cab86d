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
  for (const [i, entry] of index.manifests.entries()) checkDescriptor(entry, `${what} manifests[${i}]`);
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
  for (const [i, id] of config.rootfs.diff_ids.entries()) parseDigest(String(id), `${what} rootfs.diff_ids[${i}]`);
  if (config.rootfs.diff_ids.length !== layerCount) {
    throw new InvalidArgumentError(`${what} lists ${config.rootfs.diff_ids.length} diff_ids for ${layerCount} layers; the image is inconsistent`);
  }
  for (const field of ['os', 'architecture', 'variant'] as const) {
    if (config[field] !== undefined && typeof config[field] !== 'string') throw new InvalidArgumentError(`${what} ${field} is not a string`);
  }
  if (config.config !== undefined && config.config !== null) checkRunConfig(config.config, `${what} config`);
  return config as ImageConfig;
}

// Limits on what an image may ask a container to run with. An image whose Env or command could
// never pass execve(2) is refused at pull, not at every container start: the kernel refuses one
// string over MAX_ARG_STRLEN (32 pages) and argv + envp over ARG_MAX (a quarter of the default
// 8 MiB stack), counting each string's NUL and its pointer.
export const runConfigLimits = {
  maxExecStringBytes: 128 * 1024,
  maxExecBytes: 2 * 1024 * 1024,
  maxVolumes: 1024,
  maxPathBytes: 4096,
} as const;

function checkRunConfig(value: unknown, what: string): void {
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgumentError(`${what} is not an object`);
  const run = value as Record<string, unknown>;
  let execBytes = 0;
  for (const field of ['Env', 'Entrypoint', 'Cmd'] as const) {
    const list = run[field];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new InvalidArgumentError(`${what}.${field} is not a list of strings`);
    list.forEach((item: unknown, i) => {
      if (typeof item !== 'string') throw new InvalidArgumentError(`${what}.${field}[${i}] is not a string`);
      const size = Buffer.byteLength(item);
      if (size > runConfigLimits.maxExecStringBytes) {
        throw new InvalidArgumentError(`${what}.${field}[${i}] is ${size} bytes, over the ${runConfigLimits.maxExecStringBytes}-byte limit execve puts on one string`);
      }
      if (item.includes('\0')) throw new InvalidArgumentError(`${what}.${field}[${i}] contains a NUL byte`);
      execBytes += size + 1 + 8;
    });
    if (execBytes > runConfigLimits.maxExecBytes) {
      throw new InvalidArgumentError(
        `${what}.${field} has ${list.length} entries, which bring the command and environment to over the ` +
          `${runConfigLimits.maxExecBytes} bytes execve accepts: no container could start from this image`,
      );
    }
  }
  for (const field of ['User', 'WorkingDir', 'StopSignal'] as const) {
    const text = run[field];
    if (text === undefined || text === null) continue;
    if (typeof text !== 'string') throw new InvalidArgumentError(`${what}.${field} is not a string`);
    if (Buffer.byteLength(text) > runConfigLimits.maxPathBytes) throw new InvalidArgumentError(`${what}.${field} is longer than ${runConfigLimits.maxPathBytes} bytes`);
    if (text.includes('\0')) throw new InvalidArgumentError(`${what}.${field} contains a NUL byte`);
  }
  for (const field of ['Labels', 'ExposedPorts'] as const) {
    const map = run[field];
    if (map !== undefined && map !== null && (typeof map !== 'object' || Array.isArray(map))) throw new InvalidArgumentError(`${what}.${field} is not an object`);
  }
  const labels = (run['Labels'] ?? {}) as Record<string, unknown>;
  for (const [key, label] of Object.entries(labels)) {
    if (typeof label !== 'string') throw new InvalidArgumentError(`${what}.Labels[${JSON.stringify(key.slice(0, 64))}] is not a string`);
  }
  checkVolumes(run['Volumes'], `${what}.Volumes`);
}

/** Volume paths become directories inside the rootfs: absolute, bounded, never `..`. */
function checkVolumes(value: unknown, what: string): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgumentError(`${what} is not an object of paths`);
  const paths = Object.keys(value);
  if (paths.length > runConfigLimits.maxVolumes) {
    throw new InvalidArgumentError(`${what} lists ${paths.length} volumes, more than the ${runConfigLimits.maxVolumes} allowed`);
  }
  for (const path of paths) {
    const shown = JSON.stringify(path.length > 128 ? `${path.slice(0, 128)}...` : path);
    if (Buffer.byteLength(path) > runConfigLimits.maxPathBytes) throw new InvalidArgumentError(`${what} path ${shown} is longer than ${runConfigLimits.maxPathBytes} bytes`);
    if (path.includes('\0')) throw new InvalidArgumentError(`${what} path ${shown} contains a NUL byte`);
    if (!path.startsWith('/')) throw new InvalidArgumentError(`${what} path ${shown} is not absolute`);
    if (path.split('/').includes('..')) throw new InvalidArgumentError(`${what} path ${shown} has a ".." component`);
  }
}
