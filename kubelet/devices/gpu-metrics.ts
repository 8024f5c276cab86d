// GPU metrics under the names of NVIDIA's DCGM exporter (DCGM_FI_DEV_*), read from nvidia-smi
// where the node has it, each GPU labelled as dcgm-exporter labels it (gpu, UUID, device,
// modelName, Hostname) and, while a container holds it, with that container's pod, namespace
// and container. Pure: nvidia-smi.ts runs the query; the kubelet's stats pages serve the result.
import type { Family } from '../stats/text-format.js';

/** The nvidia-smi --query-gpu fields, in the order parseGpuQuery reads them. */
export const gpuQueryFields = ['index', 'uuid', 'name', 'utilization.gpu', 'utilization.memory', 'memory.used', 'memory.free', 'temperature.gpu', 'power.draw', 'clocks.sm', 'clocks.mem'] as const;

export interface GpuSample {
  index: number;
  uuid: string;
  name: string;
  /** A value nvidia-smi reports as "[N/A]" or "[Not Supported]" is left out. */
  values: Partial<Record<(typeof gpuQueryFields)[number], number>>;
}

/** Pure: nvidia-smi's `--format=csv,noheader,nounits` output, one line per GPU. */
export function parseGpuQuery(text: string): GpuSample[] {
  const samples: GpuSample[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split(',').map((cell) => cell.trim());
    if (cells.length !== gpuQueryFields.length) continue;
    const index = Number(cells[0]);
    if (!Number.isInteger(index) || index < 0) continue;
    const values: GpuSample['values'] = {};
    gpuQueryFields.forEach((field, i) => {
      if (i < 3) return;
      const value = Number(cells[i]);
      if (cells[i] !== '' && Number.isFinite(value)) values[field] = value;
    });
    samples.push({ index, uuid: cells[1] ?? '', name: cells[2] ?? '', values });
  }
  return samples;
}

const metrics: { name: string; help: string; field: (typeof gpuQueryFields)[number] }[] = [
  { name: 'DCGM_FI_DEV_SM_CLOCK', help: 'SM clock frequency (in MHz).', field: 'clocks.sm' },
  { name: 'DCGM_FI_DEV_MEM_CLOCK', help: 'Memory clock frequency (in MHz).', field: 'clocks.mem' },
  { name: 'DCGM_FI_DEV_GPU_TEMP', help: 'GPU temperature (in C).', field: 'temperature.gpu' },
  { name: 'DCGM_FI_DEV_POWER_USAGE', help: 'Power draw (in W).', field: 'power.draw' },
  { name: 'DCGM_FI_DEV_GPU_UTIL', help: 'GPU utilization (in %).', field: 'utilization.gpu' },
  { name: 'DCGM_FI_DEV_MEM_COPY_UTIL', help: 'Memory utilization (in %).', field: 'utilization.memory' },
  { name: 'DCGM_FI_DEV_FB_FREE', help: 'Framebuffer memory free (in MiB).', field: 'memory.free' },
  { name: 'DCGM_FI_DEV_FB_USED', help: 'Framebuffer memory used (in MiB).', field: 'memory.used' },
];

export interface GpuHolder {
  pod: string;
  namespace: string;
  container: string;
}

/** Pure: the DCGM families for the samples; `holders` by GPU index. */
export function gpuMetricFamilies(samples: readonly GpuSample[], holders: ReadonlyMap<number, GpuHolder>, hostname: string): Family[] {
  return metrics
    .map(({ name, help, field }) => ({
      name,
      help,
      type: 'gauge' as const,
      samples: samples.flatMap((gpu) => {
        const value = gpu.values[field];
        if (value === undefined) return [];
        const holder = holders.get(gpu.index);
        const labels = {
          gpu: String(gpu.index),
          UUID: gpu.uuid,
          device: `nvidia${gpu.index}`,
          modelName: gpu.name,
          Hostname: hostname,
          container: holder?.container ?? '',
          namespace: holder?.namespace ?? '',
          pod: holder?.pod ?? '',
        };
        return [{ labels, value }];
      }),
    }))
    .filter((family) => family.samples.length > 0);
}
