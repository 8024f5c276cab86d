// The nvidia-smi adapter: one query for every GPU per call (a scrape), bounded in time. A node
// without nvidia-smi has no GPU metrics; the query is not retried until the kubelet restarts.
import { execa } from 'execa';
import { gpuQueryFields, parseGpuQuery, type GpuSample } from './gpu-metrics.js';

export interface GpuQuery {
  samples(): Promise<GpuSample[]>;
}

export function nvidiaSmi(path = 'nvidia-smi', timeoutMs = 5_000): GpuQuery {
  let missing = false;
  return {
    async samples() {
      if (missing) return [];
      const result = await execa(path, [`--query-gpu=${gpuQueryFields.join(',')}`, '--format=csv,noheader,nounits'], { reject: false, timeout: timeoutMs });
      if ((result as { code?: string }).code === 'ENOENT') {
        missing = true;
        return [];
      }
      return result.exitCode === 0 ? parseGpuQuery(result.stdout) : [];
    },
  };
}
