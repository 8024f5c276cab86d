// Half-made containers after berth was killed inside CreateContainer. The bundle dir
// (<state>/containers/<id>) is the first thing CreateContainer makes and the record the last, and
// every other artefact is keyed by the same id (the rootfs mount inside the bundle, the writable
// snapshot, conmon's files and process, the OCI runtime's container and its cgroup). So a bundle
// dir that no record names is a create cut short: at start its artefacts go, in teardown order,
// and each correction is logged.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { ContainerPorts } from './container-ports.js';

const idPattern = /^[a-f0-9]{64}$/;

export async function removeHalfMadeContainers(options: {
  containersDir: string;
  isRecorded: (id: string) => boolean;
  ports: Pick<ContainerPorts, 'monitor' | 'mounter' | 'snapshots'>;
  logger: Logger;
}): Promise<void> {
  const { ports } = options;
  const names = await readdir(options.containersDir).catch(() => [] as string[]);
  for (const id of names) {
    if (!idPattern.test(id) || options.isRecorded(id)) continue;
    const bundleDir = join(options.containersDir, id);
    const errors: string[] = [];
    const steps: [string, () => Promise<unknown>][] = [
      // Kills the runtime's container and its conmon, and removes their state (and the cgroup).
      ['monitor', () => ports.monitor.delete(id)],
      ['rootfs mount', () => ports.mounter.unmount(join(bundleDir, 'rootfs'), { detach: true })],
      ['snapshot', () => ports.snapshots.remove(id)],
    ];
    for (const [what, step] of steps) await step().catch((error: unknown) => errors.push(`${what}: ${errorMessage(error)}`));
    // A rootfs still mounted must not be emptied by rm.
    if (errors.length === 0) await rm(bundleDir, { recursive: true, force: true }).catch((error: unknown) => errors.push(`bundle: ${errorMessage(error)}`));
    if (errors.length > 0) options.logger.error({ containerId: id, errors }, 'a half-made container could not be removed entirely; the next start tries again');
    else options.logger.warn({ containerId: id }, 'removed a container whose CreateContainer was cut short');
  }
}
