// CRI ReopenContainerLog.
import type { ReopenContainerLogRequest__Output, ReopenContainerLogResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { checkId } from '../validation/fields.js';

export function reopenContainerLog(runtime: Runtime): UnaryHandler<ReopenContainerLogRequest__Output, ReopenContainerLogResponse> {
  return async (request, signal) => {
    checkId('container_id', request.containerId);
    await runtime.containers.reopenLog(request.containerId, { signal });
    return {};
  };
}
