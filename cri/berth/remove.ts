// berth.v1.Images/Remove: docker rmi of one name or id (runtime/images/image-removal.ts).
import type { RemoveRequest__Output, RemoveResponse } from '../../api/berth/berth-messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function remove(runtime: Runtime): UnaryHandler<RemoveRequest__Output, RemoveResponse> {
  return async (request) => {
    const users = await runtime.imageUsers();
    return runtime.images.removeReference(request.image, request.force, (id) => users.get(id) ?? []);
  };
}
