// berth.v1.Volumes/Inspect: docker volume inspect of one volume.
import type { InspectVolumeRequest__Output, Volume } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { UnaryHandler } from '../../server/instrument.js';
import { volumeMessage } from './volume-message.js';

export function inspectVolume(runtime: Runtime): UnaryHandler<InspectVolumeRequest__Output, Volume> {
  return async (request) => {
    const record = runtime.volumes.get(request.name);
    return volumeMessage(runtime, record, (await runtime.volumeUsers()).get(record.name) ?? []);
  };
}
