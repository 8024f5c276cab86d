import type { RuntimeConfigRequest__Output, RuntimeConfigResponse } from '../../api/cri/messages.js';
import type { UnaryHandler } from '../server/instrument.js';

/** berth manages cgroups through cgroupfs; the kubelet must use the same driver. */
export function runtimeConfigHandler(): UnaryHandler<RuntimeConfigRequest__Output, RuntimeConfigResponse> {
  return async () => ({ linux: { cgroupDriver: 'CGROUPFS' } });
}
