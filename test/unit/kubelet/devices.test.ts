import { describe, expect, it } from 'vitest';
import { admitPod, containerExtendedResources, extendedRequests } from '../../../kubelet/admission.js';
import { DeviceAllocator } from '../../../kubelet/devices/device-allocator.js';
import { gpusInCdiSpec } from '../../../kubelet/devices/gpu-inventory.js';

describe('GPU inventory from CDI specs', () => {
  it('counts the GPUs by index name, not their UUID or "all" aliases, and only nvidia.com/gpu specs', () => {
    const spec = { cdiVersion: '0.6.0', kind: 'nvidia.com/gpu', devices: [{ name: '0' }, { name: 'GPU-1234' }, { name: '1' }, { name: 'all' }] };
    expect(gpusInCdiSpec(spec)).toEqual(['nvidia.com/gpu=0', 'nvidia.com/gpu=1']);
    expect(gpusInCdiSpec({ kind: 'vendor.example/fpga', devices: [{ name: '0' }] })).toEqual([]);
    expect(gpusInCdiSpec(null)).toEqual([]);
    expect(gpusInCdiSpec({ kind: 'nvidia.com/gpu', devices: 'nope' })).toEqual([]);
  });
});

describe('GPU allocation', () => {
  it('gives distinct devices, the same ones again to a restarted container, and frees them with the pod', () => {
    const allocator = new DeviceAllocator(() => ['g=0', 'g=1', 'g=2']);
    expect(allocator.allocate('pod-a', 'main', 2)).toEqual(['g=0', 'g=1']);
    expect(allocator.allocate('pod-b', 'main', 1)).toEqual(['g=2']);
    expect(allocator.allocate('pod-a', 'main', 2)).toEqual(['g=0', 'g=1']);
    expect(() => allocator.allocate('pod-c', 'main', 1)).toThrow(/asks for 1 GPUs but 0 of 3 are free/);
    allocator.release('pod-a');
    expect(allocator.allocate('pod-c', 'main', 1)).toEqual(['g=0']);
    expect(allocator.inUse).toBe(2);
  });

  it('keeps what an earlier kubelet assigned, read from the container annotation', () => {
    const allocator = new DeviceAllocator(() => ['g=0', 'g=1']);
    allocator.adopt('pod-a', 'main', 'g=1');
    allocator.adopt('pod-b', 'main', undefined);
    expect(allocator.allocate('pod-b', 'main', 1)).toEqual(['g=0']);
    expect(allocator.allocate('pod-a', 'main', 1)).toEqual(['g=1']);
  });

  it('gives a restarted container new devices when its old ones are gone, and forgets an assignment on request', () => {
    let inventory = ['d1', 'd2'];
    const allocator = new DeviceAllocator(() => inventory, 'vendor.example/fpga');
    expect(allocator.allocate('pod-a', 'main', 1)).toEqual(['d1']);
    inventory = ['d2'];
    expect(allocator.allocate('pod-a', 'main', 1)).toEqual(['d2']);
    expect(allocator.held('pod-a', 'main')).toEqual(['d2']);
    expect(() => allocator.allocate('pod-b', 'main', 1)).toThrow(/asks for 1 vendor.example\/fpga but 0 of 1 are free/);
    allocator.forget('pod-a', 'main');
    expect(allocator.held('pod-a', 'main')).toBeUndefined();
    expect(allocator.allocate('pod-b', 'main', 1)).toEqual(['d2']);
  });

  it('reads the count from limits (or requests), ignoring what is not a positive whole number', () => {
    const gpus = (resources: { limits?: Record<string, string>; requests?: Record<string, string> }): number => containerExtendedResources({ name: 'c', resources })['nvidia.com/gpu'] ?? 0;
    expect(gpus({ limits: { 'nvidia.com/gpu': '2' } })).toBe(2);
    expect(gpus({ requests: { 'nvidia.com/gpu': '1' } })).toBe(1);
    expect(gpus({ limits: { cpu: '1' } })).toBe(0);
    expect(gpus({ limits: { 'nvidia.com/gpu': '0.5' } })).toBe(0);
  });
});

describe('admission of extended resources', () => {
  const node = { cpuMilli: 8000, memoryBytes: 2 ** 34, pods: 10, labels: {}, taints: [], extended: { 'nvidia.com/gpu': 2 } };
  const gpuPod = (count: string) => ({
    metadata: { name: 'p', uid: `u${count}` },
    spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { 'nvidia.com/gpu': count } } }] },
  });

  it('admits GPU pods while the node has GPUs left, and refuses one past that with OutOfnvidia.com/gpu', () => {
    expect(extendedRequests(gpuPod('2'))).toEqual({ 'nvidia.com/gpu': 2 });
    expect(admitPod(gpuPod('1'), [gpuPod('1')], node)).toBeUndefined();
    expect(admitPod(gpuPod('1'), [gpuPod('2')], node)).toMatchObject({
      reason: 'OutOfnvidia.com/gpu',
      message: "Node didn't have enough resource: nvidia.com/gpu, requested: 1, used: 2, capacity: 2",
    });
    expect(admitPod(gpuPod('1'), [], { ...node, extended: {} })?.reason).toBe('OutOfnvidia.com/gpu');
  });

  it('adds a sidecar to the app containers (they run together) but counts a regular init container alone', () => {
    const limits = (count: string) => ({ resources: { limits: { 'nvidia.com/gpu': count } } });
    const pod = {
      spec: {
        containers: [{ name: 'app', ...limits('1') }],
        initContainers: [
          { name: 'side', restartPolicy: 'Always', ...limits('1') },
          { name: 'warm', ...limits('1') },
        ],
      },
    };
    expect(extendedRequests(pod)).toEqual({ 'nvidia.com/gpu': 2 });
    expect(extendedRequests({ spec: { containers: [{ name: 'app', resources: { limits: { cpu: '1', 'kubernetes.io/x': '1' } } }] } })).toEqual({});
  });
});
