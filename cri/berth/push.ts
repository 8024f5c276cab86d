// berth.v1.Images/Push: docker push, one message per status line.
import type { PushProgress, PushRequest__Output } from '../../api/berth/berth-messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { StreamHandler } from '../server/instrument.js';
import { registryAuth } from '../image/pull-image.js';

export function push(runtime: Runtime): StreamHandler<PushRequest__Output, PushProgress> {
  return async (request, send) => {
    await runtime.images.push(request.image, registryAuth(request.auth), (event) => {
      if (event.kind === 'repository') send({ repository: event.repository });
      else if (event.kind === 'layer') send({ id: event.id, status: event.status });
      else send({ tag: event.tag, digest: event.digest, size: String(event.size) });
    });
  };
}
