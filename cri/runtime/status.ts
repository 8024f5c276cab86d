import type { StatusRequest__Output, StatusResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function statusHandler(runtime: Runtime): UnaryHandler<StatusRequest__Output, StatusResponse> {
  return async (request) => {
    const status = await runtime.status();
    return {
      status: {
        conditions: [
          { type: 'RuntimeReady', status: status.runtimeReady.ok, reason: status.runtimeReady.reason, message: status.runtimeReady.message },
          { type: 'NetworkReady', status: status.networkReady.ok, reason: status.networkReady.reason, message: status.networkReady.message },
        ],
      },
      info: request.verbose ? { config: JSON.stringify(runtime.config), ociRuntime: runtime.ociRuntimeName ?? '' } : {},
      runtimeHandlers: [{ name: '', features: { recursiveReadOnlyMounts: false, userNamespaces: false } }],
      features: { supplementalGroupsPolicy: false },
    };
  };
}
