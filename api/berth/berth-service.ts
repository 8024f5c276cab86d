// Loads one of berth's own APIs (api/berth/v1/*.proto) the way load.ts loads the CRI: the same
// proto-loader options, so the generated types (scripts/gen-cri.mjs) describe what arrives.
// Both the server (served beside the CRI on its socket) and the clients use it.
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { packageRoot } from '../../common/package-root.js';
import { protoLoaderOptions } from '../cri/load.js';

export interface BerthServiceApi<GrpcType> {
  service: ServiceDefinition;
  grpcType: GrpcType;
}

/** A loader of `api/berth/v1/<file>` that parses it once; `service` picks the service from the package. */
export function berthServiceLoader<GrpcType>(file: string, service: (grpcType: GrpcType) => ServiceDefinition): () => BerthServiceApi<GrpcType> {
  let loaded: BerthServiceApi<GrpcType> | undefined;
  return () => {
    if (loaded) return loaded;
    const grpcType = loadPackageDefinition(loadSync(join(packageRoot(), 'api/berth/v1', file), protoLoaderOptions)) as unknown as GrpcType;
    loaded = { service: service(grpcType), grpcType };
    return loaded;
  };
}
