// `berth system prune`: docker system prune over berth's own prunes, in docker's order and with
// one total at the end: the CLI's stopped containers (never the kubelet's pods), user networks no
// pod is on, dangling images (all unused with -a), and with --volumes anonymous volumes no
// container mounts. berth has no build cache yet, so the warning does not name one.
import type { CriSession } from '../containers/cri-session.js';
import { humanSize } from '../containers/container-commands.js';
import { deletedSection, removeStoppedContainers } from '../containers/lifecycle-commands.js';
import { prunedImagesSection } from '../images/image-output.js';
import { withImages } from '../images/image-commands.js';
import { withNetworks } from '../networks/network-commands.js';
import { confirmPrune } from '../prompt.js';
import { withVolumes } from '../volumes/volumes-api.js';

export interface SystemPruneOptions {
  all: boolean;
  volumes: boolean;
  force: boolean;
}

/** docker's warning for these options. Pure. */
export function systemPruneWarning(options: Pick<SystemPruneOptions, 'all' | 'volumes'>): string {
  const items = [
    'all stopped containers',
    'all networks not used by at least one container',
    ...(options.volumes ? ['all anonymous volumes not used by at least one container'] : []),
    options.all ? 'all images without at least one container associated to them' : 'all dangling images',
  ];
  return `WARNING! This will remove:\n${items.map((item) => `  - ${item}\n`).join('')}`;
}

export async function pruneSystem(session: CriSession, options: SystemPruneOptions, io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream }): Promise<void> {
  if (!options.force) await confirmPrune(io, systemPruneWarning(options), 'system prune');
  const containers = await removeStoppedContainers(session);
  io.stdout.write(deletedSection('Containers', containers.deleted));
  const networks = await withNetworks(session.endpoint, async (client) => {
    const unused = (await client.list()).networks.filter((network) => !network.predefined && network.pods.length === 0);
    for (const network of unused) await client.remove(network.name);
    return unused.map((network) => network.name);
  });
  io.stdout.write(deletedSection('Networks', networks));
  let reclaimed = containers.reclaimedBytes;
  if (options.volumes) {
    const volumes = await withVolumes(session.endpoint, (client) => client.prune(false));
    io.stdout.write(deletedSection('Volumes', volumes.deleted));
    reclaimed += Number(volumes.reclaimedBytes || '0');
  }
  const images = await withImages(session.endpoint, (client) => client.prune(options.all));
  io.stdout.write(prunedImagesSection(images));
  reclaimed += Number(images.reclaimedBytes || '0');
  io.stdout.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
}
