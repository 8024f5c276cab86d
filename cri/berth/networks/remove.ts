// berth.v1.Networks/Remove: docker network rm of one network; a predefined one is refused.
import type { RemoveNetworkRequest__Output, RemoveNetworkResponse } from '../../../api/berth/berth-messages.js';
import { FailedPreconditionError } from '../../../common/errors.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { UnaryHandler } from '../../server/instrument.js';
import { findNetwork } from './network-message.js';

export function removeNetwork(runtime: Runtime): UnaryHandler<RemoveNetworkRequest__Output, RemoveNetworkResponse> {
  return async (request) => {
    const network = findNetwork(runtime, request.network);
    if (network.predefined) throw new FailedPreconditionError(`${network.name} is a pre-defined network and cannot be removed`);
    await runtime.removeNetwork(network.name ?? request.network);
    return {};
  };
}
