// CRI ListContainers.
import { loadCri } from '../../api/cri/load.js';
import type { ListContainersRequest__Output, ListContainersResponse } from '../../api/cri/messages.js';
import type { ContainerRecord } from '../../runtime/containers/container-record.js';
import type { Runtime } from '../../runtime/runtime.js';
import { encodedList } from '../server/encoded-list.js';
import type { UnaryHandler } from '../server/instrument.js';
import { containerState, matchesLabels, toContainer } from './to-cri.js';

export function listContainers(runtime: Runtime): UnaryHandler<ListContainersRequest__Output, ListContainersResponse> {
  const serialize = loadCri().runtime.ListContainers?.responseSerialize as (response: ListContainersResponse) => Buffer;
  const pieces = new WeakMap<ContainerRecord, Buffer>();
  return async (request) => {
    const filter = request.filter;
    const selected = (await runtime.containers.list())
      .filter((c) => !filter?.id || c.id.startsWith(filter.id))
      .filter((c) => !filter?.podSandboxId || c.sandboxId.startsWith(filter.podSandboxId))
      .filter((c) => !filter?.state || containerState(c) === filter.state.state)
      .filter((c) => !filter?.labelSelector || matchesLabels(c.labels ?? {}, filter.labelSelector));
    return encodedList(selected, 'containers', toContainer, serialize, pieces);
  };
}
