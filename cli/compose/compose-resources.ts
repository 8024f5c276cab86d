// The project's networks and volumes on berth (berth.v1.Networks and berth.v1.Volumes): made by
// `up` for the services it starts, with docker compose's labels, and removed by `down` (volumes
// only with -v). External ones must exist and are never removed. Lines as docker compose prints
// them (" Network proj_default  Created") go to stderr.
import { FailedPreconditionError, NotFoundError } from '../../common/errors.js';
import { withNetworks } from '../networks/network-commands.js';
import { withVolumes } from '../volumes/volumes-api.js';
import type { ComposeProject, ComposeService } from './compose-model.js';
import { composeLabels } from './service-plan.js';

type Progress = (line: string) => void;

/** The keys of the networks `services` use (a network_mode service uses none). */
function usedNetworks(services: readonly ComposeService[]): Set<string> {
  return new Set(services.flatMap((service) => service.networks.map((network) => network.name)));
}

function usedVolumes(services: readonly ComposeService[]): Set<string> {
  return new Set(services.flatMap((service) => service.volumes.flatMap((volume) => (volume.type === 'volume' && volume.source !== '' ? [volume.source] : []))));
}

export async function ensureNetworks(endpoint: string, project: ComposeProject, services: readonly ComposeService[], progress: Progress): Promise<void> {
  const keys = usedNetworks(services);
  if (keys.size === 0) return;
  await withNetworks(endpoint, async (client) => {
    const existing = new Map((await client.list()).networks.map((network) => [network.name, network]));
    for (const key of keys) {
      const network = project.networks[key];
      if (!network) continue;
      const found = existing.get(network.name);
      if (network.external) {
        if (!found) throw new NotFoundError(`network ${network.name} declared as external, but could not be found (berth network create ${network.name})`);
        continue;
      }
      if (found) {
        const owner = found.labels[composeLabels.project];
        if (owner !== undefined && owner !== project.name) {
          throw new FailedPreconditionError(`network ${network.name} belongs to project ${owner}, not ${project.name}`);
        }
        continue;
      }
      await client.create({
        name: network.name,
        driver: 'bridge',
        subnet: network.subnet ?? '',
        gateway: network.gateway ?? '',
        labels: { ...network.labels, [composeLabels.project]: project.name, [composeLabels.network]: key },
      });
      progress(` Network ${network.name}  Created`);
    }
  });
}

export async function ensureVolumes(endpoint: string, project: ComposeProject, services: readonly ComposeService[], progress: Progress): Promise<void> {
  const keys = usedVolumes(services);
  if (keys.size === 0) return;
  await withVolumes(endpoint, async (client) => {
    const existing = new Set((await client.list()).volumes.map((volume) => volume.name));
    for (const key of keys) {
      const volume = project.volumes[key];
      if (!volume || existing.has(volume.name)) continue;
      if (volume.external) throw new NotFoundError(`external volume "${volume.name}" not found (berth volume create ${volume.name})`);
      await client.create({
        name: volume.name,
        driver: 'local',
        labels: { ...volume.labels, [composeLabels.project]: project.name, [composeLabels.volume]: key },
        driverOptions: {},
        anonymous: false,
      });
      progress(` Volume "${volume.name}"  Created`);
    }
  });
}

/** The project's networks, made by it (labelled so), removed; one still in use is reported and kept. */
export async function removeProjectNetworks(endpoint: string, project: ComposeProject, progress: Progress): Promise<void> {
  await withNetworks(endpoint, async (client) => {
    for (const network of (await client.list()).networks) {
      if (network.labels[composeLabels.project] !== project.name) continue;
      await client.remove(network.name);
      progress(` Network ${network.name}  Removed`);
    }
  });
}

/** down -v: the project's named volumes (not external ones) and the anonymous volumes its containers had. */
export async function removeProjectVolumes(endpoint: string, project: ComposeProject, anonymous: readonly string[], progress: Progress): Promise<void> {
  const named = new Set(Object.values(project.volumes).flatMap((volume) => (volume.external ? [] : [volume.name])));
  await withVolumes(endpoint, async (client) => {
    for (const volume of (await client.list()).volumes) {
      const ours = named.has(volume.name) && volume.labels[composeLabels.project] === project.name;
      if (!ours && !anonymous.includes(volume.name)) continue;
      await client.remove(volume.name, true);
      progress(` Volume ${volume.name}  Removed`);
    }
  });
}

/** The anonymous volumes the containers `containerIds` mount (to remove with them on down -v). */
export async function anonymousVolumesOf(endpoint: string, containerIds: readonly string[]): Promise<string[]> {
  if (containerIds.length === 0) return [];
  return withVolumes(endpoint, async (client) =>
    (await client.list()).volumes.filter((volume) => volume.anonymous && volume.usedBy.some((id) => containerIds.includes(id))).map((volume) => volume.name),
  );
}
