// CRI StopContainer.
import type { StopContainerRequest__Output, StopContainerResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function stopContainer(runtime: Runtime): UnaryHandler<StopContainerRequest__Output, StopContainerResponse> {
  return async (request, signal) => {
    await runtime.containers.stop(request.containerId, Number(request.timeout), { signal });
    return {};
  };
}
