// The client of berth.v1.Volumes (api/berth/v1/volumes.proto), berth's own volume API served on
// the CRI socket: what `berth volume ...` and `berth run -v NAME:/path` call. It never imports
// server code; failures are CriCallErrors with the gRPC code.
import { loadBerthVolumes } from '../../api/berth/berth-volumes.js';
import type * as api from '../../api/berth/berth-messages.js';
import { BerthServiceClient } from './berth-service-client.js';

export class BerthVolumesClient extends BerthServiceClient {
  constructor(endpoint: string, timeoutMs = 120_000) {
    super(endpoint, loadBerthVolumes().grpcType.berth.v1.Volumes, 'berth.v1.Volumes', timeoutMs);
  }

  create(request: api.CreateVolumeRequest): Promise<api.Volume__Output> {
    return this.unary('Create', request);
  }
  list(): Promise<api.ListVolumesResponse__Output> {
    return this.unary('List', {});
  }
  inspect(name: string): Promise<api.Volume__Output> {
    return this.unary('Inspect', { name });
  }
  remove(name: string, force: boolean): Promise<api.RemoveVolumeResponse__Output> {
    return this.unary('Remove', { name, force });
  }
  prune(all: boolean): Promise<api.PruneVolumesResponse__Output> {
    return this.unary('Prune', { all });
  }
}
