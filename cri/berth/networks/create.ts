// berth.v1.Networks/Create: docker network create.
import type { CreateNetworkRequest__Output, Network } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { UnaryHandler } from '../../server/instrument.js';
import { networkMessage } from './network-message.js';

export function createNetwork(runtime: Runtime): UnaryHandler<CreateNetworkRequest__Output, Network> {
  return async (request) => networkMessage(runtime, await runtime.networks.create(request));
}
