// CRI GetContainerEvents: a server stream of container lifecycle events (created, started,
// stopped, deleted), each with its pod's sandbox status and container statuses, so a kubelet
// with the evented PLEG learns of an exit when conmon records it. The stream lasts until the
// client cancels or the server closes.
import type { ContainerEventResponse, ContainerEventType, GetEventsRequest__Output } from '../../api/cri/messages.js';
import type { Logger } from '../../common/logger.js';
import type { ContainerEvent, ContainerEventKind } from '../../runtime/containers/container-events.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { StreamHandler } from '../server/instrument.js';
import { toContainerStatus, toPodSandboxStatus } from './to-cri.js';

const eventTypes: Record<ContainerEventKind, ContainerEventType> = {
  created: 'CONTAINER_CREATED_EVENT',
  started: 'CONTAINER_STARTED_EVENT',
  stopped: 'CONTAINER_STOPPED_EVENT',
  deleted: 'CONTAINER_DELETED_EVENT',
};

/**
 * Events sent in a row while the client was not reading before its stream is ended: the buffer
 * would otherwise grow without bound. The client reconnects and relists, losing nothing.
 */
const maxUnread = 10_000;

export function toContainerEventResponse(runtime: Runtime, event: ContainerEvent): ContainerEventResponse {
  const sandbox = runtime.sandboxes.list().find((s) => s.id === event.sandboxId);
  return {
    containerId: event.containerId,
    containerEventType: eventTypes[event.kind],
    createdAt: event.at,
    podSandboxStatus: sandbox ? toPodSandboxStatus(sandbox) : null,
    containersStatuses: runtime.containers.inSandbox(event.sandboxId).map(toContainerStatus),
  };
}

export function getContainerEvents(runtime: Runtime, logger: Logger): StreamHandler<GetEventsRequest__Output, ContainerEventResponse> {
  return (_request, send, signal) =>
    new Promise<void>((resolve) => {
      let unread = 0;
      const end = (): void => {
        unsubscribe();
        resolve();
      };
      const unsubscribe = runtime.containers.events.subscribe((event) => {
        // Built when it happens, so the statuses match the event.
        unread = send(toContainerEventResponse(runtime, event)) ? 0 : unread + 1;
        if (unread >= maxUnread) {
          logger.warn({ unread }, 'GetContainerEvents: the client stopped reading; ending its stream (it relists when it reconnects)');
          end();
        }
      });
      signal.addEventListener('abort', end, { once: true });
    });
}
