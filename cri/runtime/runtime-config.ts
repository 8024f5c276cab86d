import type { RuntimeConfigRequest__Output, RuntimeConfigResponse } from '../../api/cri/messages.js';
import type { CgroupDriver } from '../../common/systemd/slice-names.js';
import type { UnaryHandler } from '../server/instrument.js';

/**
 * The runtime's cgroup driver, which the kubelet must use too (the upstream kubelet >= 1.28 takes
 * it from here: KubeletCgroupDriverFromCRI; berth's kubelet refuses a mismatch).
 */
export function runtimeConfigHandler(driver: CgroupDriver): UnaryHandler<RuntimeConfigRequest__Output, RuntimeConfigResponse> {
  const answer: RuntimeConfigResponse = { linux: { cgroupDriver: driver === 'systemd' ? 'SYSTEMD' : 'CGROUPFS' } };
  return async () => answer;
}
