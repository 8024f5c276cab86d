// berth.v1.Volumes/Prune: docker volume prune [-a]; volumes a container mounts stay.
import type { PruneVolumesRequest__Output, PruneVolumesResponse } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { UnaryHandler } from '../../server/instrument.js';

export function pruneVolumes(runtime: Runtime): UnaryHandler<PruneVolumesRequest__Output, PruneVolumesResponse> {
  return async (request) => {
    const { deleted, reclaimedBytes } = await runtime.pruneVolumes(request.all);
    return { deleted, reclaimedBytes: String(reclaimedBytes) };
  };
}
