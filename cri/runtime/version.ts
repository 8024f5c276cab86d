import type { VersionRequest__Output, VersionResponse } from '../../api/cri/messages.js';
import { runtimeName } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

/** The CRI API version berth speaks (the kubelet checks it). */
export const criApiVersion = 'v1';

export function versionHandler(berthVersion: string): UnaryHandler<VersionRequest__Output, VersionResponse> {
  return async () => ({
    version: '0.1.0',
    runtimeName,
    runtimeVersion: berthVersion,
    runtimeApiVersion: criApiVersion,
  });
}
