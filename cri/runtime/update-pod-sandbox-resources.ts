// CRI UpdatePodSandboxResources: new pod-level limits (the containers' sum and the overhead) on
// the pod's cgroup, live, as after an in-place pod resize.
import type { UpdatePodSandboxResourcesRequest__Output, UpdatePodSandboxResourcesResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { checkId } from '../validation/fields.js';
import { checkResources, type HugepageSizes } from '../validation/resources.js';

export function updatePodSandboxResources(runtime: Runtime, hugepageSizes: HugepageSizes): UnaryHandler<UpdatePodSandboxResourcesRequest__Output, UpdatePodSandboxResourcesResponse> {
  return async (request) => {
    checkId('pod_sandbox_id', request.podSandboxId);
    await checkResources('resources', request.resources, { hugepageSizes });
    await checkResources('overhead', request.overhead, { hugepageSizes, overhead: true });
    await runtime.updatePodSandboxResources(request.podSandboxId, { resources: request.resources, overhead: request.overhead });
    return {};
  };
}
