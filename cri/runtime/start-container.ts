// CRI StartContainer.
import type { StartContainerRequest__Output, StartContainerResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { checkId } from '../validation/fields.js';

export function startContainer(runtime: Runtime): UnaryHandler<StartContainerRequest__Output, StartContainerResponse> {
  return async (request, signal) => {
    checkId('container_id', request.containerId);
    await runtime.containers.start(request.containerId, { signal });
    return {};
  };
}
