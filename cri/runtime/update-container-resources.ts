// CRI UpdateContainerResources: new cgroup limits for a created or running container, live.
import type { UpdateContainerResourcesRequest__Output, UpdateContainerResourcesResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { checkId } from '../validation/fields.js';
import { checkResources, type HugepageSizes } from '../validation/resources.js';

export function updateContainerResources(runtime: Runtime, hugepageSizes: HugepageSizes): UnaryHandler<UpdateContainerResourcesRequest__Output, UpdateContainerResourcesResponse> {
  return async (request) => {
    checkId('container_id', request.containerId);
    await checkResources('linux', request.linux, { hugepageSizes });
    await runtime.containers.updateResources(request.containerId, request.linux);
    return {};
  };
}
