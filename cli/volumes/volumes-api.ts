// The CLI's connection to berth.v1.Volumes (api/berth/v1/volumes.proto) on the runtime's socket,
// saying plainly when nothing answers or the runtime is not berth.
import { BerthVolumesClient } from '../../cri/client/berth-volumes-client.js';
import { withBerthClient } from '../berth-client.js';

export function withVolumes<T>(endpoint: string, body: (client: BerthVolumesClient) => Promise<T>): Promise<T> {
  return withBerthClient(endpoint, "berth.v1.Volumes (named volumes are berth's own)", new BerthVolumesClient(endpoint), body);
}

/**
 * `run -v NAME:/path` and `-v /path`: makes (or finds) each volume the plan names and gives its
 * mount the volume's mountpoint as host path, so the CRI sees an ordinary bind mount. Answers the
 * anonymous volumes it made, which `--rm` removes with the container, as docker does.
 */
export async function provideVolumes(endpoint: string, uses: readonly { name: string; mountIndex: number }[], mounts: { hostPath?: string }[]): Promise<string[]> {
  if (uses.length === 0) return [];
  return withVolumes(endpoint, async (client) => {
    const anonymous: string[] = [];
    for (const use of uses) {
      const volume = await client.create({ name: use.name, anonymous: use.name === '' });
      const mount = mounts[use.mountIndex];
      if (mount) mount.hostPath = volume.mountpoint;
      if (use.name === '') anonymous.push(volume.name);
    }
    return anonymous;
  });
}

/** Removes the anonymous volumes of a container that is gone; one still in use stays. */
export async function removeAnonymousVolumes(endpoint: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await withVolumes(endpoint, async (client) => {
    for (const name of names) await client.remove(name, true);
  });
}
