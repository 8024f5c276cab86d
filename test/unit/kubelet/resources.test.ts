import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { containerResources, parseQuantity, podQosClass } from '../../../kubelet/resources.js';

function pod(...containers: V1Container['resources'][]): V1Pod {
  return { metadata: { name: 'p', uid: 'u' }, spec: { containers: containers.map((resources, i) => ({ name: `c${i}`, image: 'i', ...(resources ? { resources } : {}) })) } };
}

const gib = 2 ** 30;

describe('Kubernetes quantities', () => {
  it('reads decimal and binary suffixes, millis and exponents', () => {
    expect(parseQuantity('250m')).toBe(0.25);
    expect(parseQuantity('2')).toBe(2);
    expect(parseQuantity('1.5')).toBe(1.5);
    expect(parseQuantity('64Mi')).toBe(64 * 2 ** 20);
    expect(parseQuantity('1G')).toBe(1e9);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity(3)).toBe(3);
  });

  it('answers undefined for what is not a quantity', () => {
    expect(parseQuantity(undefined)).toBeUndefined();
    expect(parseQuantity('lots')).toBeUndefined();
    expect(parseQuantity('12Qi')).toBeUndefined();
    expect(parseQuantity('')).toBeUndefined();
  });
});

describe('QoS class', () => {
  it('is BestEffort with no requests or limits', () => {
    expect(podQosClass(pod(undefined, {}))).toBe('BestEffort');
  });

  it('is Guaranteed when every container limits cpu and memory with equal (or no) requests', () => {
    expect(podQosClass(pod({ limits: { cpu: '1', memory: '1Gi' } }, { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '0.5', memory: '64Mi' } }))).toBe('Guaranteed');
  });

  it('is Burstable otherwise', () => {
    expect(podQosClass(pod({ requests: { cpu: '100m' } }))).toBe('Burstable');
    expect(podQosClass(pod({ limits: { cpu: '1', memory: '1Gi' } }, undefined))).toBe('Burstable');
    expect(podQosClass(pod({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } }))).toBe('Burstable');
  });
});

describe('container resources for CRI', () => {
  it('turns the cpu request into shares and the cpu limit into a quota per 100 ms', () => {
    const p = pod({ requests: { cpu: '250m', memory: '32Mi' }, limits: { cpu: '500m', memory: '48Mi' } });
    expect(containerResources(p, p.spec!.containers[0]!, 4 * gib)).toEqual({
      cpuShares: '256',
      cpuPeriod: '100000',
      cpuQuota: '50000',
      memoryLimitInBytes: String(48 * 2 ** 20),
      oomScoreAdj: '993',
    });
  });

  it('gives a BestEffort container the minimum shares, no limits and the first place in line for the OOM killer', () => {
    const p = pod(undefined);
    expect(containerResources(p, p.spec!.containers[0]!, 4 * gib)).toEqual({ cpuShares: '2', oomScoreAdj: '1000' });
  });

  it('protects a Guaranteed container from the OOM killer and takes the request from the limit', () => {
    const p = pod({ limits: { cpu: '2', memory: '1Gi' } });
    expect(containerResources(p, p.spec!.containers[0]!, 4 * gib)).toMatchObject({ cpuShares: '2048', cpuQuota: '200000', oomScoreAdj: '-997' });
  });

  it("scales a Burstable container's oom_score_adj with its share of the machine's memory, within 2..999", () => {
    const half = pod({ requests: { memory: '2Gi' } });
    expect(containerResources(half, half.spec!.containers[0]!, 4 * gib).oomScoreAdj).toBe('500');
    const all = pod({ requests: { memory: '8Gi' } });
    expect(containerResources(all, all.spec!.containers[0]!, 4 * gib).oomScoreAdj).toBe('2');
  });

  it('never sets a quota below 1 ms per period', () => {
    const p = pod({ limits: { cpu: '1m' } });
    expect(containerResources(p, p.spec!.containers[0]!, gib).cpuQuota).toBe('1000');
  });
});
