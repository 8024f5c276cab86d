import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { admitPod, podRequests } from '../../../kubelet/admission.js';

const node = { cpuMilli: 2000, memoryBytes: 4 * 2 ** 30, pods: 3, labels: { 'kubernetes.io/hostname': 'node-a', 'kubernetes.io/arch': 'amd64' } };

function pod(requests: Record<string, string>[] = [{}], extra: { initContainers?: V1Container['resources'][]; nodeSelector?: Record<string, string> } = {}): V1Pod {
  return {
    metadata: { name: 'p', uid: 'u' },
    spec: {
      containers: requests.map((r, i) => ({ name: `c${i}`, image: 'i', resources: { requests: r } })),
      ...(extra.initContainers ? { initContainers: extra.initContainers.map((resources, i) => ({ name: `init${i}`, image: 'i', ...(resources ? { resources } : {}) })) } : {}),
      ...(extra.nodeSelector ? { nodeSelector: extra.nodeSelector } : {}),
    },
  };
}

describe('pod admission', () => {
  it('takes the larger of the app containers sum and the largest init container, limits standing in for requests', () => {
    expect(podRequests(pod([{ cpu: '250m', memory: '64Mi' }, { cpu: '0.5' }]))).toEqual({ cpuMilli: 750, memoryBytes: 64 * 2 ** 20 });
    expect(podRequests(pod([{ cpu: '100m' }], { initContainers: [{ limits: { cpu: '1' } }] })).cpuMilli).toBe(1000);
  });

  it('admits what fits next to the admitted pods, and refuses cpu, memory or pods beyond the node', () => {
    const admitted = [pod([{ cpu: '1500m', memory: '3Gi' }])];
    expect(admitPod(pod([{ cpu: '500m' }]), admitted, node)).toBeUndefined();
    expect(admitPod(pod([{ cpu: '600m' }]), admitted, node)).toMatchObject({ reason: 'OutOfcpu', message: expect.stringContaining('requested: 600, used: 1500, capacity: 2000') });
    expect(admitPod(pod([{ memory: '2Gi' }]), admitted, node)?.reason).toBe('OutOfmemory');
    expect(admitPod(pod(), [pod(), pod(), pod()], node)?.reason).toBe('OutOfpods');
    expect(admitPod(pod([{}]), admitted, node)).toBeUndefined();
  });

  it('refuses a nodeSelector this node does not match', () => {
    expect(admitPod(pod([{}], { nodeSelector: { 'kubernetes.io/hostname': 'node-a' } }), [], node)).toBeUndefined();
    expect(admitPod(pod([{}], { nodeSelector: { 'kubernetes.io/hostname': 'node-b' } }), [], node)).toMatchObject({ reason: 'NodeAffinity' });
  });
});
