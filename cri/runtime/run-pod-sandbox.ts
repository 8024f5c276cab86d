// CRI RunPodSandbox.
import type { RunPodSandboxRequest__Output, RunPodSandboxResponse } from '../api/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function runPodSandbox(runtime: Runtime): UnaryHandler<RunPodSandboxRequest__Output, RunPodSandboxResponse> {
  return async (request) => ({ podSandboxId: (await runtime.runPodSandbox(request.config, request.runtimeHandler)).id });
}
