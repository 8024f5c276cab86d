// `docker push`: the image a tag names goes to its registry: each layer blob (skipped when the
// registry has it), the config, then the manifest the image was pulled or made with, under the
// tag. Blobs go one at a time as monolithic uploads (POST + PUT ?digest=), so the registry
// verifies every digest; the manifest keeps its bytes, so its digest is the image's repo digest.
// An image recorded from an index is pushed as its platform manifest.
import { NotFoundError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { RegistryAuth } from './auth.js';
import type { ContentProvider } from './content-store.js';
import { digestHex, type Digest } from './digest.js';
import type { ImageStore } from './image-store.js';
import { digestedName, familiarName, parseReference, referenceName, taggedName } from './reference.js';
import type { RegistryClient } from './registry-client.js';

export type PushEvent =
  | { kind: 'repository'; repository: string }
  /** A layer's line: id is 12 hex of its digest; status Preparing, Pushing, Pushed, Layer already exists. */
  | { kind: 'layer'; id: string; status: string }
  | { kind: 'pushed'; tag: string; digest: Digest; size: number };

export interface PushDependencies {
  registry: RegistryClient;
  content: Pick<ContentProvider, 'info' | 'readStream' | 'readBytes'>;
  images: ImageStore;
  logger: Logger;
}

export async function pushImage(deps: PushDependencies, ref: string, auth: RegistryAuth | undefined, onEvent: (event: PushEvent) => void): Promise<Digest> {
  const reference = parseReference(ref);
  const name = taggedName(reference);
  const record = name === undefined ? undefined : deps.images.get(name);
  if (!record || name === undefined || reference.digest !== undefined) {
    throw new NotFoundError(`An image does not exist locally with the tag: ${familiarName({ domain: reference.domain, path: reference.path })}${reference.tag ? `:${reference.tag}` : ''}`);
  }
  onEvent({ kind: 'repository', repository: referenceName(reference) });
  const repository = deps.registry.pushTarget(reference, auth);
  const layers = [...record.layers].reverse();
  for (const layer of layers) onEvent({ kind: 'layer', id: digestHex(layer.digest as Digest).slice(0, 12), status: 'Preparing' });
  const push = async (digest: Digest, report: (status: string) => void): Promise<void> => {
    if (await repository.hasBlob(digest)) {
      report('Layer already exists');
      return;
    }
    report('Pushing');
    const { size } = await deps.content.info(digest);
    await repository.pushBlob({ digest, size }, () => deps.content.readStream(digest));
    report('Pushed');
  };
  for (const layer of record.layers) {
    const id = digestHex(layer.digest as Digest).slice(0, 12);
    await push(layer.digest as Digest, (status) => onEvent({ kind: 'layer', id, status }));
  }
  await push(record.id, () => undefined);
  const manifest = await deps.content.readBytes(record.manifestDigest);
  const tag = reference.tag ?? 'latest';
  const digest = await repository.putManifest(tag, record.manifestMediaType, manifest);
  // The image now has this name's repo digest, as after a pull of it.
  await deps.images.add({ ...record, repoTags: [], repoDigests: [digestedName(reference, digest)] });
  deps.logger.info({ image: name, digest }, 'pushed image');
  onEvent({ kind: 'pushed', tag, digest, size: manifest.length });
  return digest;
}
