// The client of berth.v1.Networks (api/berth/v1/networks.proto), berth's own network API served
// on the CRI socket: what `berth network ...` calls. It never imports server code; failures are
// CriCallErrors with the gRPC code.
import { loadBerthNetworks } from '../../api/berth/berth-networks.js';
import type * as api from '../../api/berth/berth-messages.js';
import { BerthServiceClient } from './berth-service-client.js';

export class BerthNetworksClient extends BerthServiceClient {
  constructor(endpoint: string, timeoutMs = 120_000) {
    super(endpoint, loadBerthNetworks().grpcType.berth.v1.Networks, 'berth.v1.Networks', timeoutMs);
  }

  create(request: api.CreateNetworkRequest): Promise<api.Network__Output> {
    return this.unary('Create', request);
  }
  list(): Promise<api.ListNetworksResponse__Output> {
    return this.unary('List', {});
  }
  inspect(network: string): Promise<api.Network__Output> {
    return this.unary('Inspect', { network });
  }
  remove(network: string): Promise<api.RemoveNetworkResponse__Output> {
    return this.unary('Remove', { network });
  }
}
