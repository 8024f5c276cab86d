// CRI PortForward: a single-use URL on the streaming server for forwarding to the pod's ports.
import { FailedPreconditionError, InvalidArgumentError } from '../../common/errors.js';
import type { PortForwardRequest__Output, PortForwardResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { checkId } from '../validation/fields.js';
import type { StreamServer } from '../streaming/stream-server.js';

export function portForward(runtime: Runtime, streaming: StreamServer): UnaryHandler<PortForwardRequest__Output, PortForwardResponse> {
  return async (request) => {
    checkId('pod_sandbox_id', request.podSandboxId);
    const sandbox = runtime.sandboxes.get(request.podSandboxId);
    if (sandbox.state !== 'ready') throw new FailedPreconditionError(`pod sandbox ${sandbox.id} is not ready; nothing to forward to`);
    for (const port of request.port) {
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError(`port ${port} is not a TCP port`);
    }
    return { url: streaming.portForwardUrl(sandbox.id, request.port) };
  };
}
