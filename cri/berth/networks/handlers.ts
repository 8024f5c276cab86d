// Which function answers which berth.v1.Networks RPC (api/berth/v1/networks.proto); one file each.
import type { Runtime } from '../../../runtime/runtime.js';
import type { CriHandlers } from '../../server/server.js';
import { createNetwork } from './create.js';
import { inspectNetwork } from './inspect.js';
import { listNetworks } from './list.js';
import { removeNetwork } from './remove.js';

export function berthNetworksHandlers(runtime: Runtime): NonNullable<CriHandlers['berthNetworks']> {
  return {
    Create: createNetwork(runtime),
    List: listNetworks(runtime),
    Inspect: inspectNetwork(runtime),
    Remove: removeNetwork(runtime),
  };
}
