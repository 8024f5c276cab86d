// berth.v1.Containers/Changes: docker diff.
import type { ChangesRequest__Output, ChangesResponse } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { UnaryHandler } from '../../server/instrument.js';

export function changes(runtime: Runtime): UnaryHandler<ChangesRequest__Output, ChangesResponse> {
  return async (request) => ({ changes: await runtime.files.changes(request.container) });
}
