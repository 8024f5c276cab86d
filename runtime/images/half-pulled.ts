// What a pull or import cut short by a crash leaves behind, removed when berth starts (before it
// serves, so no pull is in flight): partial blobs in the ingest dir (resuming them is for a
// network drop within one run; after a crash the next pull fetches again), blobs that no image
// record references (fetched before the record was written), layers being unpacked (active
// snapshots under the unpacker's `extract-<hex>` keys) and committed layers no image uses.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeTempFiles } from '../../common/atomic-file.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { OverlaySnapshotter } from '../snapshots/snapshotter.js';
import type { ContentStore } from './content-store.js';
import type { ImageStore } from './image-store.js';
import type { LayerUnpacker } from './images.js';

/** The keys SnapshotLayerUnpacker unpacks a layer under before committing it by its chain id. */
const unpackKey = /^extract-[0-9a-f]+$/;

/** Layer unpacks a crash interrupted: active snapshots no container owns. */
export async function removeInterruptedUnpacks(snapshots: OverlaySnapshotter, logger: Logger): Promise<void> {
  for (const info of snapshots.list()) {
    if (info.kind !== 'active' || !unpackKey.test(info.key)) continue;
    await snapshots.remove(info.key).then(
      () => logger.warn({ snapshot: info.key, parent: info.parent }, 'removed a layer snapshot whose unpack was cut short'),
      (error: unknown) => logger.error({ snapshot: info.key, err: errorMessage(error) }, 'cannot remove an interrupted layer unpack'),
    );
  }
}

/** Partial and unreferenced blobs, and layers no image uses, of pulls a crash cut short. */
export async function removeHalfPulledContent(options: { content: ContentStore; store: ImageStore; unpacker: LayerUnpacker; logger: Logger }): Promise<void> {
  const { content, logger } = options;
  // An image record whose write a crash cut short: the pull is not recorded, its blobs go below.
  await removeTempFiles(options.store.dir);
  const partials = await readdir(content.ingestDir).catch(() => [] as string[]);
  for (const name of partials) await rm(join(content.ingestDir, name), { recursive: true, force: true });
  const referenced = options.store.referencedBlobs();
  const orphans = (await content.list()).filter((blob) => !referenced.has(blob.digest));
  for (const blob of orphans) await content.delete(blob.digest);
  if (partials.length > 0 || orphans.length > 0) {
    logger.warn({ partials: partials.length, unreferencedBlobs: orphans.length }, 'removed the content of pulls that were cut short');
  }
  await options.unpacker.collect(options.store.list()).catch((error: unknown) => logger.warn({ err: errorMessage(error) }, 'cannot remove unused layer snapshots'));
}
