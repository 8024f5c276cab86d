// CRI ContainerStatus.
import type { ContainerStatusRequest__Output, ContainerStatusResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { toContainerStatus } from './to-cri.js';
import { checkId } from '../validation/fields.js';

export function containerStatus(runtime: Runtime): UnaryHandler<ContainerStatusRequest__Output, ContainerStatusResponse> {
  return async (request) => {
    checkId('container_id', request.containerId);
    const record = await runtime.containers.current(runtime.containers.get(request.containerId).id);
    return {
      status: toContainerStatus(record),
      info: request.verbose ? { info: JSON.stringify({ bundle: record.bundleDir, sandboxId: record.sandboxId, config: record.config }) } : {},
    };
  };
}
