// CRI RemovePodSandbox.
import type { RemovePodSandboxRequest__Output, RemovePodSandboxResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function removePodSandbox(runtime: Runtime): UnaryHandler<RemovePodSandboxRequest__Output, RemovePodSandboxResponse> {
  return async (request, signal) => {
    await runtime.removePodSandbox(request.podSandboxId, { signal });
    return {};
  };
}
