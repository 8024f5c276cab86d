import { describe, expect, it } from 'vitest';
import { DeviceAllocator } from '../../../kubelet/devices/device-allocator.js';
import { gpuMetricFamilies, parseGpuQuery } from '../../../kubelet/devices/gpu-metrics.js';
import { renderFamilies } from '../../../kubelet/stats/text-format.js';

// What nvidia-smi --query-gpu=<gpuQueryFields> --format=csv,noheader,nounits prints on a node
// with two H100s (one idle, one reporting no power draw).
const output = [
  '0, GPU-8f6c2e1a-1111-2222-3333-444455556666, NVIDIA H100 80GB HBM3, 87, 41, 40210, 41269, 56, 412.33, 1980, 2619',
  '1, GPU-0a1b2c3d-7777-8888-9999-000011112222, NVIDIA H100 80GB HBM3, 0, 0, 4, 81475, 31, [N/A], 345, 2619',
  '',
].join('\n');

describe('GPU metrics under DCGM exporter names', () => {
  it('parses the nvidia-smi query, leaving out what a GPU does not report', () => {
    const [first, second] = parseGpuQuery(output);
    expect(first).toEqual({
      index: 0,
      uuid: 'GPU-8f6c2e1a-1111-2222-3333-444455556666',
      name: 'NVIDIA H100 80GB HBM3',
      values: {
        'utilization.gpu': 87,
        'utilization.memory': 41,
        'memory.used': 40210,
        'memory.free': 41269,
        'temperature.gpu': 56,
        'power.draw': 412.33,
        'clocks.sm': 1980,
        'clocks.mem': 2619,
      },
    });
    expect(second?.values['power.draw']).toBeUndefined();
    expect(parseGpuQuery('No devices were found\n')).toEqual([]);
  });

  it('labels each GPU as dcgm-exporter does, with the pod and container that hold it', () => {
    const holders = new Map([[0, { pod: 'train-0', namespace: 'ml', container: 'trainer' }]]);
    const families = gpuMetricFamilies(parseGpuQuery(output), holders, 'gpu-node-1');
    const text = renderFamilies(families);
    expect(text).toContain('# TYPE DCGM_FI_DEV_GPU_UTIL gauge');
    expect(text).toContain(
      'DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-8f6c2e1a-1111-2222-3333-444455556666",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="gpu-node-1",container="trainer",namespace="ml",pod="train-0"} 87',
    );
    expect(text).toContain(
      'DCGM_FI_DEV_FB_USED{gpu="1",UUID="GPU-0a1b2c3d-7777-8888-9999-000011112222",device="nvidia1",modelName="NVIDIA H100 80GB HBM3",Hostname="gpu-node-1",container="",namespace="",pod=""} 4',
    );
    expect(families.find((f) => f.name === 'DCGM_FI_DEV_POWER_USAGE')?.samples).toHaveLength(1);
  });

  it('knows which container holds which GPU from the allocator', () => {
    const allocator = new DeviceAllocator(() => ['nvidia.com/gpu=0', 'nvidia.com/gpu=1']);
    allocator.allocate('uid-a', 'trainer', 1);
    allocator.allocate('uid-b', 'serve', 1);
    expect([...allocator.holders()]).toEqual([
      [0, { podUid: 'uid-a', container: 'trainer' }],
      [1, { podUid: 'uid-b', container: 'serve' }],
    ]);
  });
});
