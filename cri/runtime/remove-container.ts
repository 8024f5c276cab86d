// CRI RemoveContainer.
import type { RemoveContainerRequest__Output, RemoveContainerResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function removeContainer(runtime: Runtime): UnaryHandler<RemoveContainerRequest__Output, RemoveContainerResponse> {
  return async (request, signal) => {
    await runtime.containers.remove(request.containerId, { signal });
    return {};
  };
}
