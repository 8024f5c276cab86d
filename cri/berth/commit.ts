// berth.v1.Images/Commit: docker commit of a container (Runtime.commitContainer).
import type { CommitRequest__Output, CommitResponse } from '../../api/berth/berth-messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function commit(runtime: Runtime): UnaryHandler<CommitRequest__Output, CommitResponse> {
  return async (request) => ({ id: (await runtime.commitContainer(request.container, request)).id });
}
