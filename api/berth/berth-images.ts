// berth's own image API (api/berth/v1/images.proto), served beside the CRI on its socket.
import type { ProtoGrpcType } from '../cri/generated/berth/images.js';
import { berthServiceLoader, type BerthServiceApi } from './berth-service.js';

export type BerthImagesApi = BerthServiceApi<ProtoGrpcType>;

export const loadBerthImages = berthServiceLoader<ProtoGrpcType>('images.proto', (grpcType) => grpcType.berth.v1.Images.service);
