// CRI RunPodSandbox.
import type { RunPodSandboxRequest__Output, RunPodSandboxResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { checkPodSandboxConfig } from '../validation/pod-sandbox-config.js';
import type { HugepageSizes } from '../validation/resources.js';

export function runPodSandbox(runtime: Runtime, hugepageSizes: HugepageSizes): UnaryHandler<RunPodSandboxRequest__Output, RunPodSandboxResponse> {
  return async (request, signal) => {
    await checkPodSandboxConfig(request.config, hugepageSizes);
    return { podSandboxId: (await runtime.runPodSandbox(request.config, request.runtimeHandler, { signal })).id };
  };
}
