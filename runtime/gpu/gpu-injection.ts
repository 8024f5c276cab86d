// From a --gpus / berth.dev/gpus request to what the container gets: the CDI devices of the
// chosen GPUs, the NVIDIA_* variables that describe them to the workload, with the toolkit's
// meanings (NVIDIA_VISIBLE_DEVICES: "all" or the chosen UUIDs; NVIDIA_DRIVER_CAPABILITIES: the
// capabilities asked for), and the driver files of the capabilities not asked for. The node's
// CDI spec carries every capability's files (one spec serves every request, as nvidia-ctk's
// does); a container asking for `capabilities=utility` gets nvidia-smi and NVML but not libcuda,
// as it would under the toolkit's hook. The variables are applied after the CDI edits so they
// win over the spec's "void".
import type { NvidiaDiscovery } from './discover.js';
import type { GpuRequest } from './gpus-flag.js';
import { nvidiaCdiKind } from './cdi/nvidia-spec.js';
import { qualifiedName } from './cdi/qualified-name.js';
import { selectGpus } from './select-gpus.js';

export interface GpuInjection {
  gpus: NvidiaDiscovery['gpus'];
  /** Fully-qualified CDI names, e.g. "nvidia.com/gpu=GPU-8a7d...". */
  cdiDevices: string[];
  env: string[];
  /** Host paths of driver files whose capability the request left out: not mounted. */
  withheldMounts: string[];
}

export function planGpuInjection(request: GpuRequest, discovery: Pick<NvidiaDiscovery, 'gpus' | 'driver'>): GpuInjection {
  const gpus = selectGpus(request.devices, discovery.gpus);
  const all = request.devices === 'all';
  const asked = new Set(request.capabilities);
  const { driver } = discovery;
  const withheldMounts = [...driver.libraries, ...driver.binaries, ...driver.firmware, ...driver.ipc].filter((file) => !asked.has(file.capability)).map((file) => file.hostPath);
  return {
    gpus,
    // By UUID: an index names another GPU once one disappears or the bus order changes.
    cdiDevices: all ? [qualifiedName(nvidiaCdiKind, 'all')] : gpus.map((g) => qualifiedName(nvidiaCdiKind, g.uuid)),
    env: [`NVIDIA_VISIBLE_DEVICES=${all ? 'all' : gpus.map((g) => g.uuid).join(',')}`, `NVIDIA_DRIVER_CAPABILITIES=${request.capabilities.join(',')}`],
    withheldMounts,
  };
}
