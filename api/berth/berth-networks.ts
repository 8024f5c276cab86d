// berth's own network API (api/berth/v1/networks.proto), served beside the CRI on its socket.
import type { ProtoGrpcType } from '../cri/generated/berth/networks.js';
import { berthServiceLoader, type BerthServiceApi } from './berth-service.js';

export type BerthNetworksApi = BerthServiceApi<ProtoGrpcType>;

export const loadBerthNetworks = berthServiceLoader<ProtoGrpcType>('networks.proto', (grpcType) => grpcType.berth.v1.Networks.service);
