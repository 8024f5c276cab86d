// From a --gpus / berth.dev/gpus request to what the container gets: the CDI devices of the
// chosen GPUs and the NVIDIA_* variables that describe them to the workload, with the toolkit's
// meanings (NVIDIA_VISIBLE_DEVICES: "all" or the chosen UUIDs; NVIDIA_DRIVER_CAPABILITIES: the
// capabilities asked for). The variables are applied after the CDI edits so they win over the
// spec's "void".
import type { DiscoveredGpu } from './discover.js';
import type { GpuRequest } from './gpus-flag.js';
import { nvidiaCdiKind } from './cdi/nvidia-spec.js';
import { qualifiedName } from './cdi/qualified-name.js';
import { selectGpus } from './select-gpus.js';

export interface GpuInjection {
  gpus: DiscoveredGpu[];
  /** Fully-qualified CDI names, e.g. "nvidia.com/gpu=GPU-8a7d...". */
  cdiDevices: string[];
  env: string[];
}

export function planGpuInjection(request: GpuRequest, discovered: readonly DiscoveredGpu[]): GpuInjection {
  const gpus = selectGpus(request.devices, discovered);
  const all = request.devices === 'all';
  return {
    gpus,
    // By UUID: an index names another GPU once one disappears or the bus order changes.
    cdiDevices: all ? [qualifiedName(nvidiaCdiKind, 'all')] : gpus.map((g) => qualifiedName(nvidiaCdiKind, g.uuid)),
    env: [
      `NVIDIA_VISIBLE_DEVICES=${all ? 'all' : gpus.map((g) => g.uuid).join(',')}`,
      `NVIDIA_DRIVER_CAPABILITIES=${request.capabilities.join(',')}`,
    ],
  };
}
