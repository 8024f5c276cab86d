// CRI Exec: checks the request, then answers with a single-use URL on the streaming server where
// the client runs the command with live stdio.
import { FailedPreconditionError, InvalidArgumentError } from '../../common/errors.js';
import type { ExecRequest__Output, ExecResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { checkId } from '../validation/fields.js';
import type { StreamServer } from '../streaming/stream-server.js';

export function exec(runtime: Runtime, streaming: StreamServer): UnaryHandler<ExecRequest__Output, ExecResponse> {
  return async (request) => {
    checkId('container_id', request.containerId);
    if (request.cmd.length === 0 || request.cmd[0] === '') throw new InvalidArgumentError('Exec needs a command');
    if (!request.stdin && !request.stdout && !request.stderr) throw new InvalidArgumentError('Exec needs at least one of stdin, stdout and stderr');
    if (request.tty && request.stderr) throw new InvalidArgumentError('Exec with a tty has no separate stderr: set stderr to false');
    // Fails here, not later on the stream, for a container that is unknown or not running.
    const record = await runtime.containers.refresh(runtime.containers.get(request.containerId).id);
    if (record.state !== 'running') throw new FailedPreconditionError(`container ${record.id} is ${record.state}; exec needs a running container`);
    const url = streaming.execUrl({
      containerId: record.id,
      cmd: request.cmd,
      tty: request.tty,
      stdin: request.stdin,
      stdout: request.stdout,
      stderr: request.stderr,
    });
    return { url };
  };
}
