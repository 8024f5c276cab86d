// berth.v1.Networks/List: docker network ls.
import type { ListNetworksRequest__Output, ListNetworksResponse } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { UnaryHandler } from '../../server/instrument.js';
import { networkMessage, predefinedNetworks } from './network-message.js';

export function listNetworks(runtime: Runtime): UnaryHandler<ListNetworksRequest__Output, ListNetworksResponse> {
  return async () => ({ networks: [...predefinedNetworks(), ...runtime.networks.list().map((record) => networkMessage(runtime, record))] });
}
