import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { cpuToShares, podCgroupParent, podCgroupResources, podOverheadResources } from '../../../kubelet/pod-cgroup.js';

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };

function container(name: string, resources: Resources = {}, extra: Partial<V1Container> = {}): V1Container {
  return { name, image: 'busybox', resources, ...extra };
}

function pod(containers: V1Container[], initContainers: V1Container[] = [], overhead?: Record<string, string>): V1Pod {
  return { metadata: { name: 'p', namespace: 'default', uid: 'u-1' }, spec: { containers, initContainers, ...(overhead ? { overhead } : {}) } };
}

const guaranteed = { requests: { cpu: '500m', memory: '64Mi' }, limits: { cpu: '500m', memory: '64Mi' } };

describe('the pod cgroup in the QoS layout', () => {
  it('places each QoS class where the kubelet does', () => {
    expect(podCgroupParent(pod([container('a', guaranteed)]), '/kubepods')).toBe('/kubepods/podu-1');
    expect(podCgroupParent(pod([container('a', { requests: { cpu: '100m' } })]), '/kubepods/')).toBe('/kubepods/burstable/podu-1');
    expect(podCgroupParent(pod([container('a')]), '/kubepods')).toBe('/kubepods/besteffort/podu-1');
  });

  it('sizes a Guaranteed pod at the sum of its containers', () => {
    expect(podCgroupResources(pod([container('a', guaranteed), container('b', guaranteed)]))).toEqual({
      cpuShares: '1024',
      cpuPeriod: '100000',
      cpuQuota: '100000',
      memoryLimitInBytes: String(128 << 20),
    });
  });

  it('leaves a Burstable pod unlimited where one container is unlimited', () => {
    const resources = podCgroupResources(pod([container('a', guaranteed), container('b', { requests: { cpu: '250m', memory: '16Mi' } })]));
    expect(resources).toEqual({ cpuShares: String(Math.floor(0.75 * 1024)) });
  });

  it('counts a request-less limit as the request, and the larger of init and app containers', () => {
    const resources = podCgroupResources(pod([container('app', { limits: { cpu: '200m', memory: '32Mi' } })], [container('init', { limits: { cpu: '1', memory: '16Mi' } })]));
    expect(resources).toEqual({ cpuShares: '1024', cpuPeriod: '100000', cpuQuota: '100000', memoryLimitInBytes: String(32 << 20) });
  });

  it('adds sidecars to the app containers and to the init containers after them', () => {
    const sidecar = container('side', { limits: { cpu: '100m', memory: '8Mi' } }, { restartPolicy: 'Always' });
    const init = container('init', { limits: { cpu: '300m', memory: '8Mi' } });
    const resources = podCgroupResources(pod([container('app', { limits: { cpu: '100m', memory: '8Mi' } })], [sidecar, init]));
    expect(resources.cpuQuota).toBe('40000');
    expect(resources.memoryLimitInBytes).toBe(String(16 << 20));
  });

  it('gives a BestEffort pod the minimum shares and nothing else', () => {
    expect(podCgroupResources(pod([container('a'), container('b')]))).toEqual({ cpuShares: '2' });
  });

  it("keeps the overhead apart from the containers' sum", () => {
    const withOverhead = pod([container('a', guaranteed)], [], { cpu: '250m', memory: '120Mi' });
    expect(podCgroupResources(withOverhead).memoryLimitInBytes).toBe(String(64 << 20));
    expect(podOverheadResources(withOverhead)).toEqual({ cpuShares: '256', cpuPeriod: '100000', cpuQuota: '25000', memoryLimitInBytes: String(120 << 20) });
    expect(podOverheadResources(pod([container('a')]))).toBeUndefined();
  });

  it("converts CPUs to shares within the kernel's bounds", () => {
    expect(cpuToShares(0)).toBe(2);
    expect(cpuToShares(0.001)).toBe(2);
    expect(cpuToShares(1)).toBe(1024);
    expect(cpuToShares(1000)).toBe(262_144);
  });
});
