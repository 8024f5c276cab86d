// Loads the kubelet's device-plugin API (v1beta1) from the api.proto scripts/gen-cri.mjs fetched
// from the pinned k8s.io/kubelet module, with the options the generated types describe.
import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../common/package-root.js';
import { protoLoaderOptions } from '../../api/cri/load.js';
import type { ProtoGrpcType } from './generated/types/deviceplugin.js';

export type { AllocateResponse__Output } from './generated/types/v1beta1/AllocateResponse.js';
export type { ContainerAllocateResponse__Output } from './generated/types/v1beta1/ContainerAllocateResponse.js';
export type { DevicePluginClient } from './generated/types/v1beta1/DevicePlugin.js';
export type { DevicePluginOptions__Output } from './generated/types/v1beta1/DevicePluginOptions.js';
export type { ListAndWatchResponse__Output } from './generated/types/v1beta1/ListAndWatchResponse.js';
export type { RegisterRequest__Output } from './generated/types/v1beta1/RegisterRequest.js';

/** The API version plugins register with; the only one this kubelet speaks. */
export const devicePluginApiVersion = 'v1beta1';
/** The socket the kubelet serves Registration on, inside the device-plugin directory. */
export const kubeletSocketName = 'kubelet.sock';
/** The directory every device plugin dials (upstream pluginapi.DevicePluginPath). */
export const defaultDevicePluginDir = '/var/lib/kubelet/device-plugins';

let loaded: ProtoGrpcType['v1beta1'] | undefined;

export function loadDevicePluginApi(): ProtoGrpcType['v1beta1'] {
  if (loaded) return loaded;
  const path = join(packageRoot(), 'kubelet/devices/generated/deviceplugin.proto');
  if (!existsSync(path)) throw new Error(`device-plugin proto missing at ${path}: run "npm run gen:cri" (needs Go)`);
  loaded = (loadPackageDefinition(loadSync(path, protoLoaderOptions)) as unknown as ProtoGrpcType).v1beta1;
  return loaded;
}
