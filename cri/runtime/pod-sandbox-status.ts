// CRI PodSandboxStatus.
import type { PodSandboxStatusRequest__Output, PodSandboxStatusResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { toContainerStatus, toPodSandboxStatus } from './to-cri.js';
import { checkId } from '../validation/fields.js';

export function podSandboxStatus(runtime: Runtime): UnaryHandler<PodSandboxStatusRequest__Output, PodSandboxStatusResponse> {
  return async (request) => {
    checkId('pod_sandbox_id', request.podSandboxId);
    const sandbox = runtime.sandboxes.get(request.podSandboxId);
    const containers = await runtime.containers.list();
    return {
      status: toPodSandboxStatus(sandbox),
      info: request.verbose ? { info: JSON.stringify({ dir: sandbox.dir, namespaces: sandbox.namespaces, config: sandbox.config }) } : {},
      containersStatuses: containers.filter((c) => c.sandboxId === sandbox.id).map(toContainerStatus),
      timestamp: String(BigInt(Date.now()) * 1_000_000n),
    };
  };
}
