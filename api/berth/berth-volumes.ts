// berth's own volume API (api/berth/v1/volumes.proto), served beside the CRI on its socket.
import type { ProtoGrpcType } from '../cri/generated/berth/volumes.js';
import { berthServiceLoader, type BerthServiceApi } from './berth-service.js';

export type BerthVolumesApi = BerthServiceApi<ProtoGrpcType>;

export const loadBerthVolumes = berthServiceLoader<ProtoGrpcType>('volumes.proto', (grpcType) => grpcType.berth.v1.Volumes.service);
