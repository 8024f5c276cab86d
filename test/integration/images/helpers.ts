// Shared set-up for the image integration tests: a temporary berth root with a content store,
// an image store and a puller pointed at a real registry over plain http.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentStore } from '../../../runtime/images/content-store.js';
import { ImageStore } from '../../../runtime/images/image-store.js';
import { Puller } from '../../../runtime/images/puller.js';
import { RegistryClient } from '../../../runtime/images/registry-client.js';

export interface ImageWorld {
  root: string;
  content: ContentStore;
  images: ImageStore;
  registry: RegistryClient;
  puller: Puller;
  cleanup(): Promise<void>;
}

export async function imageWorld(registryHost: string): Promise<ImageWorld> {
  const root = await mkdtemp(join(tmpdir(), 'berth-images-it-'));
  const content = new ContentStore(root);
  const images = await ImageStore.open(root);
  const registry = new RegistryClient({ hosts: { insecure: [registryHost] } });
  const puller = new Puller({ registry, content, images });
  return { root, content, images, registry, puller, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** sha256 of a file on disk, computed independently of the content store. */
export async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
