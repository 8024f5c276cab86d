// CRI CreateContainer.
import type { CreateContainerRequest__Output, CreateContainerResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { checkContainerConfig, type ContainerRules } from '../validation/container-config.js';
import { checkId } from '../validation/fields.js';

export function createContainer(runtime: Runtime, rules: ContainerRules): UnaryHandler<CreateContainerRequest__Output, CreateContainerResponse> {
  return async (request, signal) => {
    checkId('pod_sandbox_id', request.podSandboxId);
    const sandbox = runtime.sandboxes.get(request.podSandboxId);
    await checkContainerConfig(request.config, sandbox.config, rules);
    return { containerId: (await runtime.createContainer(sandbox, request.config, { signal })).id };
  };
}
