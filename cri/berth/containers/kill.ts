// berth.v1.Containers/Kill: docker kill -s SIGNAL; no signal means SIGKILL, as docker's default.
import type { KillRequest__Output, KillResponse } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import { signalNumber } from '../../../runtime/oci/signals.js';
import type { UnaryHandler } from '../../server/instrument.js';

export function kill(runtime: Runtime): UnaryHandler<KillRequest__Output, KillResponse> {
  return async (request, signal) => {
    // Checked before the container's state, so a typo is reported as one.
    const number = signalNumber(request.signal || 'SIGKILL');
    await runtime.containers.kill(request.container, String(number), { signal });
    return {};
  };
}
