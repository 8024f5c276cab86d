// The seeded busybox image's layers as blobs a test can push again, under layers of its own, to
// a registry of its own (push.ts): a real base with a shell, and the test's content on top.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seededOciLayout } from '../../harness/tools.js';
import type { Layer } from './push.js';

interface Descriptor {
  mediaType: string;
  digest: string;
  annotations?: Record<string, string>;
}

/** The layers of the image tagged `tag` (ref.name) in the seeded OCI layout, lowest first. */
export async function seededImageLayers(tag = 'busybox'): Promise<Layer[]> {
  const layout = seededOciLayout();
  const blob = (digest: string) => readFile(join(layout, 'blobs/sha256', digest.slice('sha256:'.length)));
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const found = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!found) throw new Error(`${layout} has no image tagged ${tag}`);
  const manifest = JSON.parse((await blob(found.digest)).toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
  const config = JSON.parse((await blob(manifest.config.digest)).toString('utf8')) as { rootfs: { diff_ids: string[] } };
  return Promise.all(manifest.layers.map(async (layer, i) => ({ blob: await blob(layer.digest), mediaType: layer.mediaType, diffId: config.rootfs.diff_ids[i] ?? '' })));
}
