// CRI UpdatePodSandboxResources: new pod-level limits (the containers' sum and the overhead) on
// the pod's cgroup, live, as after an in-place pod resize.
import type { UpdatePodSandboxResourcesRequest__Output, UpdatePodSandboxResourcesResponse } from '../api/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function updatePodSandboxResources(
  runtime: Runtime,
): UnaryHandler<UpdatePodSandboxResourcesRequest__Output, UpdatePodSandboxResourcesResponse> {
  return async (request) => {
    await runtime.updatePodSandboxResources(request.podSandboxId, { resources: request.resources, overhead: request.overhead });
    return {};
  };
}
