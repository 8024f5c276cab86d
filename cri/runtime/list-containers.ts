// CRI ListContainers.
import type { ListContainersRequest__Output, ListContainersResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { matchesLabels, toContainer } from './to-cri.js';

export function listContainers(runtime: Runtime): UnaryHandler<ListContainersRequest__Output, ListContainersResponse> {
  return async (request) => {
    const filter = request.filter;
    const containers = (await runtime.containers.list())
      .filter((c) => !filter?.id || c.id.startsWith(filter.id))
      .filter((c) => !filter?.podSandboxId || c.sandboxId.startsWith(filter.podSandboxId))
      .map(toContainer)
      .filter((c) => !filter?.state || c.state === filter.state.state)
      .filter((c) => !filter?.labelSelector || matchesLabels(c.labels ?? {}, filter.labelSelector));
    return { containers };
  };
}
