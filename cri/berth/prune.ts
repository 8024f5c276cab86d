// berth.v1.Images/Prune: docker image prune [-a]; images a container uses stay.
import type { PruneRequest__Output, PruneResponse } from '../../api/berth/berth-messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function prune(runtime: Runtime): UnaryHandler<PruneRequest__Output, PruneResponse> {
  return async (request) => {
    const inUse = new Set((await runtime.imageUsers()).keys());
    const { untagged, deleted, reclaimedBytes } = await runtime.images.prune(request.all, inUse);
    return { untagged, deleted, reclaimedBytes: String(reclaimedBytes) };
  };
}
