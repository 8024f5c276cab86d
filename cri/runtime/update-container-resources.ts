// CRI UpdateContainerResources: new cgroup limits for a created or running container, live.
import type { UpdateContainerResourcesRequest__Output, UpdateContainerResourcesResponse } from '../api/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function updateContainerResources(runtime: Runtime): UnaryHandler<UpdateContainerResourcesRequest__Output, UpdateContainerResourcesResponse> {
  return async (request) => {
    await runtime.containers.updateResources(request.containerId, request.linux);
    return {};
  };
}
