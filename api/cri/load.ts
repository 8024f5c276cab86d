// Loads the CRI service definitions from the api.proto that scripts/gen-cri.mjs fetched from the
// pinned k8s.io/cri-api module. The generated TypeScript types describe exactly these options, so
// the two must change together.
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../common/package-root.js';
import type { ProtoGrpcType } from './generated/types/api.js';

export const protoLoaderOptions: Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** Where api.proto lives; the same from the TypeScript sources and from the compiled dist/. */
export function criProtoPath(): string {
  const path = join(packageRoot(), 'api/cri/generated/api.proto');
  if (!existsSync(path)) throw new Error(`CRI proto missing at ${path}: run "npm run gen:cri" (needs Go)`);
  return path;
}

export interface CriServices {
  runtime: ServiceDefinition;
  image: ServiceDefinition;
  grpcType: ProtoGrpcType;
}

let loaded: CriServices | undefined;

export function loadCri(): CriServices {
  if (loaded) return loaded;
  const packageDefinition = loadSync(criProtoPath(), protoLoaderOptions);
  const grpcType = loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;
  loaded = {
    runtime: grpcType.runtime.v1.RuntimeService.service,
    image: grpcType.runtime.v1.ImageService.service,
    grpcType,
  };
  return loaded;
}
