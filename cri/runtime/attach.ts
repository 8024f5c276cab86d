// CRI Attach: checks the request, then answers with a single-use URL on the streaming server
// where the client is joined to the container's own stdio through conmon's attach socket.
import { FailedPreconditionError, InvalidArgumentError } from '../../common/errors.js';
import type { AttachRequest__Output, AttachResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { checkId } from '../validation/fields.js';
import type { StreamServer } from '../streaming/stream-server.js';

export function attach(runtime: Runtime, streaming: StreamServer): UnaryHandler<AttachRequest__Output, AttachResponse> {
  return async (request) => {
    checkId('container_id', request.containerId);
    if (!request.stdin && !request.stdout && !request.stderr) throw new InvalidArgumentError('Attach needs at least one of stdin, stdout and stderr');
    if (request.tty && request.stderr) throw new InvalidArgumentError('Attach with a tty has no separate stderr: set stderr to false');
    // Fails here, not later on the stream, for a container that is unknown or not running.
    const record = await runtime.containers.refresh(runtime.containers.get(request.containerId).id);
    if (record.state !== 'running') throw new FailedPreconditionError(`container ${record.id} is ${record.state}; attach needs a running container`);
    const url = streaming.attachUrl({ containerId: record.id, tty: request.tty, stdin: request.stdin, stdout: request.stdout, stderr: request.stderr });
    return { url };
  };
}
