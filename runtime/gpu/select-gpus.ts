// Which of the node's GPUs a request gets. Pure: the discovered GPUs come in, the chosen ones go
// out, in index order. A count takes the lowest indexes; spreading work across containers (and
// remembering who holds what) is the kubelet's allocation, not this function's.
import { FailedPreconditionError, NotFoundError, ResourceExhaustedError } from '../../common/errors.js';
import type { DiscoveredGpu } from './discover.js';
import type { GpuDevices } from './gpus-flag.js';

export interface SelectableGpu {
  index: number;
  uuid: string;
}

function describeNode<T extends SelectableGpu>(gpus: readonly T[]): string {
  if (gpus.length === 0) return 'this node has no NVIDIA GPU';
  const indexes = gpus.length === 1 ? 'index 0' : `indexes 0-${gpus.length - 1}`;
  return `this node has ${gpus.length} GPU${gpus.length === 1 ? '' : 's'} (${indexes})`;
}

export function selectGpus<T extends SelectableGpu = DiscoveredGpu>(devices: GpuDevices, gpus: readonly T[]): T[] {
  const ordered = [...gpus].sort((a, b) => a.index - b.index);
  if (ordered.length === 0) {
    throw new FailedPreconditionError(`GPUs were requested but ${describeNode(ordered)}: check the driver with nvidia-smi`);
  }
  if (devices === 'all') return ordered;
  if ('count' in devices) {
    if (devices.count > ordered.length) {
      throw new ResourceExhaustedError(`${devices.count} GPUs were requested but ${describeNode(ordered)}`);
    }
    return ordered.slice(0, devices.count);
  }
  const chosen = new Set<T>();
  for (const id of devices.ids) {
    const gpu = 'index' in id ? ordered.find((g) => g.index === id.index) : ordered.find((g) => g.uuid.toLowerCase() === id.uuid.toLowerCase());
    if (gpu === undefined) {
      const name = 'index' in id ? `index ${id.index}` : id.uuid;
      throw new NotFoundError(`GPU ${name} does not exist: ${describeNode(ordered)}; list them with nvidia-smi -L`);
    }
    chosen.add(gpu);
  }
  return [...chosen].sort((a, b) => a.index - b.index);
}
