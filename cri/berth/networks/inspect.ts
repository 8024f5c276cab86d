// berth.v1.Networks/Inspect: docker network inspect of one network.
import type { InspectNetworkRequest__Output, Network } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { UnaryHandler } from '../../server/instrument.js';
import { findNetwork } from './network-message.js';

export function inspectNetwork(runtime: Runtime): UnaryHandler<InspectNetworkRequest__Output, Network> {
  return async (request) => findNetwork(runtime, request.network);
}
