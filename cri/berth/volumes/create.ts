// berth.v1.Volumes/Create: docker volume create, and the volume `run -v NAME:/path` mounts.
import type { CreateVolumeRequest__Output, Volume } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { UnaryHandler } from '../../server/instrument.js';
import { volumeMessage } from './volume-message.js';

export function createVolume(runtime: Runtime): UnaryHandler<CreateVolumeRequest__Output, Volume> {
  return async (request) => {
    const record = await runtime.volumes.create(request);
    return volumeMessage(runtime, record, (await runtime.volumeUsers()).get(record.name) ?? []);
  };
}
