// berth.v1.Volumes/Remove: docker volume rm [-f] of one volume; in use is refused even with -f.
import type { RemoveVolumeRequest__Output, RemoveVolumeResponse } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { UnaryHandler } from '../../server/instrument.js';

export function removeVolume(runtime: Runtime): UnaryHandler<RemoveVolumeRequest__Output, RemoveVolumeResponse> {
  return async (request) => {
    try {
      await runtime.removeVolume(request.name);
      return { removed: true };
    } catch (error) {
      if (request.force && (error as { code?: string }).code === 'NOT_FOUND') return { removed: false };
      throw error;
    }
  };
}
