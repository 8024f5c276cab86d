// CRI ExecSync.
import type { ExecSyncRequest__Output, ExecSyncResponse } from '../../api/cri/messages.js';
import { InvalidArgumentError } from '../../common/errors.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { checkId } from '../validation/fields.js';

/** CRI caps ExecSync output; more is truncated rather than buffered without bound. */
export const execSyncOutputLimit = 16 * 1024 * 1024;

export function execSync(runtime: Runtime): UnaryHandler<ExecSyncRequest__Output, ExecSyncResponse> {
  return async (request, signal) => {
    checkId('container_id', request.containerId);
    const timeout = Number(request.timeout);
    if (!Number.isFinite(timeout) || timeout < 0) throw new InvalidArgumentError(`exec timeout ${request.timeout} is not a non-negative number of seconds`);
    const result = await runtime.containers.execSync(request.containerId, request.cmd, timeout, { signal });
    return {
      stdout: result.stdout.subarray(0, execSyncOutputLimit),
      stderr: result.stderr.subarray(0, execSyncOutputLimit),
      exitCode: result.exitCode,
    };
  };
}
