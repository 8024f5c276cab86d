// CRI StopPodSandbox.
import type { StopPodSandboxRequest__Output, StopPodSandboxResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function stopPodSandbox(runtime: Runtime): UnaryHandler<StopPodSandboxRequest__Output, StopPodSandboxResponse> {
  return async (request, signal) => {
    await runtime.stopPodSandbox(request.podSandboxId, { signal });
    return {};
  };
}
