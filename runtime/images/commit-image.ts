// docker commit: the image a container's changes make. The container's writable layer, packed
// with OCI whiteouts (ContainerFiles.layerDiff), becomes one more gzip layer above the parent
// image's; the config is the parent's with the container's own run settings folded in (as docker
// records the container's config: its command, environment and working dir), then the -c changes,
// and one history entry (created_by the container's command, as docker writes it). Pure: the
// facade (images.ts) stores the blobs.
import { mediaTypes, type Descriptor, type ImageConfig, type ImageManifest, type ImageRunConfig } from './oci-types.js';
import { applyChanges, type FlatLayer } from './flat-import.js';

/** What the container ran with, from its CRI config. */
export interface ContainerRunSettings {
  command: readonly string[];
  args: readonly string[];
  env: readonly { key: string; value: string }[];
  workingDir: string;
}

export interface CommitOptions {
  changes: readonly string[];
  message: string;
  author: string;
  now: Date;
}

/** The container's run settings over the image's: what docker keeps as the container's config. */
function containerRunConfig(image: ImageRunConfig, container: ContainerRunSettings): ImageRunConfig {
  const config = structuredClone(image);
  if (container.command.length > 0) {
    config.Entrypoint = [...container.command];
    config.Cmd = [...container.args];
  } else if (container.args.length > 0) {
    config.Cmd = [...container.args];
  }
  if (container.env.length > 0) {
    const env = new Map((image.Env ?? []).map((entry) => [entry.slice(0, entry.indexOf('=')), entry] as const));
    for (const { key, value } of container.env) env.set(key, `${key}=${value}`);
    config.Env = [...env.values()];
  }
  if (container.workingDir !== '') config.WorkingDir = container.workingDir;
  return config;
}

export function committedConfig(parent: ImageConfig, container: ContainerRunSettings, diffId: string, options: CommitOptions): ImageConfig {
  const created = options.now.toISOString();
  const runCommand = [
    ...(container.command.length > 0 ? container.command : (parent.config?.Entrypoint ?? [])),
    ...(container.args.length > 0 ? container.args : container.command.length > 0 ? [] : (parent.config?.Cmd ?? [])),
  ];
  const { author: _parentAuthor, ...rest } = parent;
  return {
    ...rest,
    created,
    ...(options.author !== '' ? { author: options.author } : {}),
    config: applyChanges(containerRunConfig(parent.config ?? {}, container), options.changes),
    rootfs: { type: 'layers', diff_ids: [...parent.rootfs.diff_ids, diffId] },
    history: [
      ...(parent.history ?? []),
      { created, created_by: runCommand.join(' '), ...(options.message !== '' ? { comment: options.message } : {}), ...(options.author !== '' ? { author: options.author } : {}) },
    ],
  };
}

/** docker's layer media types name the same bytes as OCI's; an OCI manifest names them OCI's way. */
const ociLayerTypes: Record<string, string> = {
  [mediaTypes.dockerLayerGzip]: mediaTypes.ociLayerGzip,
};

export function committedManifest(parentLayers: readonly Descriptor[], config: { digest: string; size: number }, layer: FlatLayer | undefined): ImageManifest & { mediaType: string } {
  return {
    schemaVersion: 2,
    mediaType: mediaTypes.ociManifest,
    config: { mediaType: mediaTypes.ociConfig, ...config },
    layers: [
      ...parentLayers.map((descriptor) => ({ ...descriptor, mediaType: ociLayerTypes[descriptor.mediaType] ?? descriptor.mediaType })),
      ...(layer ? [{ mediaType: mediaTypes.ociLayerGzip, digest: layer.digest, size: layer.size }] : []),
    ],
  };
}
