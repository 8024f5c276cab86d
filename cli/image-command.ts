// `berth image import PATH`: loads an OCI image layout (directory) or an archive of one into the
// store with no registry, unpacked and ready to run. It works on the root dir directly, so it
// refuses while a berth daemon holds that root dir.
import { join } from 'node:path';
import { createLogger } from '../common/logger.js';
import { Images } from '../runtime/images/images.js';
import { SnapshotLayerUnpacker } from '../runtime/images/layer-unpacker.js';
import { OverlaySnapshotter } from '../runtime/snapshots/snapshotter.js';
import { lockRootDir } from '../runtime/state/root-lock.js';
import { mkdir } from 'node:fs/promises';

export async function importImage(path: string, options: { rootDir: string; name?: string }): Promise<void> {
  const logger = createLogger('warn');
  await mkdir(options.rootDir, { recursive: true, mode: 0o711 });
  const lock = await lockRootDir(options.rootDir);
  try {
    const snapshots = await OverlaySnapshotter.open(join(options.rootDir, 'snapshots'), { logger });
    const images = await Images.open({ rootDir: options.rootDir, hosts: {}, unpacker: new SnapshotLayerUnpacker(snapshots, logger), logger });
    const records = await images.import(path, options.name);
    for (const record of records) {
      process.stdout.write(`imported ${record.id} ${[...record.repoTags, ...record.repoDigests].join(' ')}\n`);
    }
    if (records.length === 0) process.stdout.write(`nothing to import in ${path}\n`);
  } finally {
    await lock.release();
  }
}
