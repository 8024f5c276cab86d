// berth.v1.Volumes/List: docker volume ls.
import type { ListVolumesRequest__Output, ListVolumesResponse } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { UnaryHandler } from '../../server/instrument.js';
import { volumeMessage } from './volume-message.js';

export function listVolumes(runtime: Runtime): UnaryHandler<ListVolumesRequest__Output, ListVolumesResponse> {
  return async () => {
    const users = await runtime.volumeUsers();
    return { volumes: runtime.volumes.list().map((record) => volumeMessage(runtime, record, users.get(record.name) ?? [])) };
  };
}
