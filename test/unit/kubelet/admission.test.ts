import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { admitPod, podRequests } from '../../../kubelet/admission.js';
import { parseTaints, tolerates, untoleratedTaint } from '../../../kubelet/taints.js';

const node = { cpuMilli: 2000, memoryBytes: 4 * 2 ** 30, pods: 3, labels: { 'kubernetes.io/hostname': 'node-a', 'kubernetes.io/arch': 'amd64' }, taints: [] };

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

describe('admission by taints and host ports', () => {
  const tainted = {
    ...node,
    taints: [
      { key: 'dedicated', value: 'gpu', effect: 'NoExecute' },
      { key: 'quiet', effect: 'NoSchedule' },
    ],
  };
  const withSpec = (spec: Partial<NonNullable<V1Pod['spec']>>, annotations?: Record<string, string>): V1Pod => {
    const base = pod();
    return { metadata: { ...base.metadata, ...(annotations ? { annotations } : {}) }, spec: { ...base.spec, containers: base.spec?.containers ?? [], ...spec } };
  };

  it('refuses a pod that does not tolerate a NoExecute taint, and leaves NoSchedule to the scheduler', () => {
    expect(admitPod(withSpec({}), [], tainted)).toMatchObject({ reason: 'TaintToleration', message: expect.stringContaining('{dedicated: gpu}') });
    expect(admitPod(withSpec({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoExecute' }] }), [], tainted)).toBeUndefined();
    expect(admitPod(withSpec({ tolerations: [{ key: 'dedicated', operator: 'Exists' }] }), [], tainted)).toBeUndefined();
    expect(admitPod(withSpec({ tolerations: [{ key: 'dedicated', value: 'cpu', effect: 'NoExecute' }] }), [], tainted)?.reason).toBe('TaintToleration');
    // Static pods are the node's own: taints do not keep them out.
    expect(admitPod(withSpec({}, { 'kubernetes.io/config.source': 'file' }), [], tainted)).toBeUndefined();
  });

  it('refuses a host port another admitted pod holds on the same protocol', () => {
    const web = (hostPort: number, protocol = 'TCP'): V1Pod => withSpec({ containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, hostPort, protocol }] }] });
    expect(admitPod(web(8080), [web(8080)], node)).toMatchObject({ reason: 'NodePorts', message: expect.stringContaining('TCP/8080') });
    expect(admitPod(web(8080, 'UDP'), [web(8080)], node)).toBeUndefined();
    expect(admitPod(web(8081), [web(8080)], node)).toBeUndefined();
  });
});

describe('taints', () => {
  it('reads --register-with-taints and refuses what is not a taint', () => {
    expect(parseTaints('dedicated=gpu:NoSchedule, maintenance:NoExecute')).toEqual([
      { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
      { key: 'maintenance', effect: 'NoExecute' },
    ]);
    expect(parseTaints('')).toEqual([]);
    expect(() => parseTaints('a=b')).toThrow(/effect must be one of/);
    expect(() => parseTaints('a=b:Sometimes')).toThrow(/effect must be one of/);
    expect(() => parseTaints('=b:NoExecute')).toThrow(/has no key/);
  });

  it('matches tolerations as upstream does', () => {
    const taint = { key: 'k', value: 'v', effect: 'NoExecute' };
    expect(tolerates({ operator: 'Exists' }, taint)).toBe(true);
    expect(tolerates({ key: 'k', operator: 'Exists', effect: 'NoSchedule' }, taint)).toBe(false);
    expect(tolerates({ key: 'k', value: 'v' }, taint)).toBe(true);
    expect(tolerates({ key: 'k', value: 'w' }, taint)).toBe(false);
    expect(tolerates({ value: 'v' }, taint)).toBe(false);
    expect(untoleratedTaint([taint, { key: 'x', effect: 'NoSchedule' }], [{ key: 'k', operator: 'Exists' }], ['NoExecute'])).toBeUndefined();
  });
});
