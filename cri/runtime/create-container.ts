// CRI CreateContainer.
import type { CreateContainerRequest__Output, CreateContainerResponse } from '../api/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function createContainer(runtime: Runtime): UnaryHandler<CreateContainerRequest__Output, CreateContainerResponse> {
  return async (request) => {
    const sandbox = runtime.sandboxes.get(request.podSandboxId);
    return { containerId: (await runtime.containers.create(sandbox, request.config)).id };
  };
}
