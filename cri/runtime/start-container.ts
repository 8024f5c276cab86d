// CRI StartContainer.
import type { StartContainerRequest__Output, StartContainerResponse } from '../api/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function startContainer(runtime: Runtime): UnaryHandler<StartContainerRequest__Output, StartContainerResponse> {
  return async (request) => {
    await runtime.containers.start(request.containerId);
    return {};
  };
}
