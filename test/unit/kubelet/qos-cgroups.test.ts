import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { cgroupfsTierWriter, QosCgroups, qosTierSettings, sharesToWeight, type TierSettings } from '../../../kubelet/qos-cgroups.js';

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };

function pod(uid: string, resources: Resources[], initContainers: V1Container[] = []): V1Pod {
  return {
    metadata: { name: uid, namespace: 'default', uid },
    spec: { containers: resources.map((r, i) => ({ name: `c${i}`, image: 'busybox', resources: r })), initContainers },
  };
}

const guaranteed = { requests: { cpu: '1', memory: '64Mi' }, limits: { cpu: '1', memory: '64Mi' } };

describe('the QoS tier cgroups', () => {
  it('gives the burstable tier the shares of its pods summed cpu requests and the besteffort tier 2', () => {
    const pods = [
      pod('b1', [{ requests: { cpu: '250m' } }, { requests: { cpu: '250m', memory: '10Mi' } }]),
      pod('b2', [{ requests: { memory: '32Mi' }, limits: { cpu: '500m' } }]),
      pod('g1', [guaranteed]),
      pod('e1', [{}]),
    ];
    const tiers = qosTierSettings('/kubepods', pods, undefined);
    expect(Object.fromEntries(tiers)).toEqual({
      '/kubepods/burstable': { cpuShares: 1024 },
      '/kubepods/besteffort': { cpuShares: 2 },
    });
  });

  it('counts the larger of a pod init and app requests, as upstream PodRequests', () => {
    const withInit = pod('b', [{ requests: { cpu: '100m' } }], [{ name: 'init', image: 'busybox', resources: { requests: { cpu: '2' } } }]);
    expect(qosTierSettings('/kubepods', [withInit], undefined).get('/kubepods/burstable')).toEqual({ cpuShares: 2048 });
  });

  it('keeps the burstable tier at the minimum shares with no burstable pod', () => {
    expect(qosTierSettings('/kubepods/', [], undefined).get('/kubepods/burstable')).toEqual({ cpuShares: 2 });
  });

  it('holds the pods cgroup to the node allocatable when enforced', () => {
    const tiers = qosTierSettings('/kubepods', [], { cpuMilli: 3500, memoryBytes: 6 << 30 });
    expect(tiers.get('/kubepods')).toEqual({ cpuShares: 3584, memoryBytes: 6 << 30 });
  });

  it('converts shares to weight as runc does', () => {
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(1024)).toBe(39);
    expect(sharesToWeight(262_144)).toBe(10_000);
    expect(sharesToWeight(1)).toBe(1);
  });
});

describe('the cgroupfs tier writer (on a directory shaped like cgroupfs)', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes cpu.shares and memory.limit_in_bytes in the v1 hierarchies', async () => {
    root = mkdtempSync(join(tmpdir(), 'berth-qos-v1-'));
    mkdirSync(join(root, 'cpu'));
    mkdirSync(join(root, 'memory'));
    await cgroupfsTierWriter(root).write('/kubepods', { cpuShares: 2048, memoryBytes: 1 << 30 });
    expect(readFileSync(join(root, 'cpu/kubepods/cpu.shares'), 'utf8')).toBe('2048');
    expect(readFileSync(join(root, 'memory/kubepods/memory.limit_in_bytes'), 'utf8')).toBe(String(1 << 30));
  });

  it('writes cpu.weight and memory.max on v2 and hands the controllers down', async () => {
    root = mkdtempSync(join(tmpdir(), 'berth-qos-v2-'));
    writeFileSync(join(root, 'cgroup.controllers'), 'cpu memory pids');
    await cgroupfsTierWriter(root).write('/kubepods/burstable', { cpuShares: 1024 });
    expect(readFileSync(join(root, 'kubepods/burstable/cpu.weight'), 'utf8')).toBe('39');
    expect(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8')).toBe('+cpu +memory');
    expect(readFileSync(join(root, 'kubepods/cgroup.subtree_control'), 'utf8')).toBe('+cpu +memory');
  });

  it('refuses a path that is not an absolute cgroup path', async () => {
    root = mkdtempSync(join(tmpdir(), 'berth-qos-bad-'));
    await expect(cgroupfsTierWriter(root).write('/kubepods/../etc', { cpuShares: 2 })).rejects.toThrow(/not an absolute cgroup path/);
  });
});

describe('QosCgroups', () => {
  it('writes a tier only when its settings change, and survives a writer that fails', async () => {
    const writes: [string, TierSettings][] = [];
    let fail = true;
    const qos = new QosCgroups({
      kubepods: '/kubepods',
      allocatable: undefined,
      writer: {
        write: async (path, settings) => {
          if (fail && path.endsWith('besteffort')) throw new Error('EACCES');
          writes.push([path, settings]);
        },
      },
      logger: silentLogger(),
    });
    await qos.update([pod('b1', [{ requests: { cpu: '500m' } }])]);
    fail = false;
    await qos.update([pod('b1', [{ requests: { cpu: '500m' } }])]);
    await qos.update([pod('b1', [{ requests: { cpu: '500m' } }]), pod('b2', [{ requests: { cpu: '500m' } }])]);
    expect(writes).toEqual([
      ['/kubepods/burstable', { cpuShares: 512 }],
      ['/kubepods/besteffort', { cpuShares: 2 }],
      ['/kubepods/burstable', { cpuShares: 1024 }],
    ]);
  });
});
