// Loads berth's own image API (api/berth/v1/images.proto) the way load.ts loads the CRI: the
// same proto-loader options, so the generated types (scripts/gen-cri.mjs) describe what arrives.
// Both the server (served beside the CRI on its socket) and the client use it.
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { packageRoot } from '../../common/package-root.js';
import type { ProtoGrpcType } from './generated/berth/images.js';
import { protoLoaderOptions } from './load.js';

export interface BerthImagesApi {
  service: ServiceDefinition;
  grpcType: ProtoGrpcType;
}

let loaded: BerthImagesApi | undefined;

export function loadBerthImages(): BerthImagesApi {
  if (loaded) return loaded;
  const grpcType = loadPackageDefinition(loadSync(join(packageRoot(), 'api/berth/v1/images.proto'), protoLoaderOptions)) as unknown as ProtoGrpcType;
  loaded = { service: grpcType.berth.v1.Images.service, grpcType };
  return loaded;
}
