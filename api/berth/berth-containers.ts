// berth's own container API (api/berth/v1/containers.proto), served beside the CRI on its socket.
import type { ProtoGrpcType } from '../cri/generated/berth/containers.js';
import { berthServiceLoader, type BerthServiceApi } from './berth-service.js';

export type BerthContainersApi = BerthServiceApi<ProtoGrpcType>;

export const loadBerthContainers = berthServiceLoader<ProtoGrpcType>('containers.proto', (grpcType) => grpcType.berth.v1.Containers.service);
