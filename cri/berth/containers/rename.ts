// berth.v1.Containers/Rename: docker rename CONTAINER NEW_NAME, for the CLI's containers.
import type { RenameRequest__Output, RenameResponse } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { UnaryHandler } from '../../server/instrument.js';

export function rename(runtime: Runtime): UnaryHandler<RenameRequest__Output, RenameResponse> {
  return async (request) => {
    await runtime.renameCliContainer(request.container, request.name);
    return {};
  };
}
