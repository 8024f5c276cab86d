import { describe, expect, it } from 'vitest';
import { containerCgroupPath, podCgroupPath, qosClassOf, resolveParent, type ContainerResourceSpec, type QosClass } from '../../../runtime/cgroups/layout.js';
import { v1Anchors, v2Anchors } from '../../../runtime/cgroups/own-cgroup.js';

const gib = 1 << 30;

describe('QoS class', () => {
  const table: Array<[name: string, containers: ContainerResourceSpec[], qos: QosClass]> = [
    ['no requests or limits anywhere', [{}, {}], 'BestEffort'],
    ['zero quantities only', [{ requests: { cpuMilli: 0 }, limits: { memoryBytes: 0 } }], 'BestEffort'],
    ['limits equal requests for cpu and memory', [{ requests: { cpuMilli: 500, memoryBytes: gib }, limits: { cpuMilli: 500, memoryBytes: gib } }], 'Guaranteed'],
    ['limits only (requests default to them)', [{ limits: { cpuMilli: 500, memoryBytes: gib } }], 'Guaranteed'],
    ['a cpu request below its limit', [{ requests: { cpuMilli: 250, memoryBytes: gib }, limits: { cpuMilli: 500, memoryBytes: gib } }], 'Burstable'],
    ['a memory limit without a cpu limit', [{ limits: { memoryBytes: gib } }], 'Burstable'],
    ['requests without limits', [{ requests: { cpuMilli: 100 } }], 'Burstable'],
    ['one guaranteed container beside a best-effort one', [{ limits: { cpuMilli: 500, memoryBytes: gib } }, {}], 'Burstable'],
    ['two guaranteed containers', [{ limits: { cpuMilli: 500, memoryBytes: gib } }, { requests: { cpuMilli: 100, memoryBytes: gib }, limits: { cpuMilli: 100, memoryBytes: gib } }], 'Guaranteed'],
  ];
  it.each(table)('is right for %s', (_name, containers, qos) => {
    expect(qosClassOf(containers)).toBe(qos);
  });
});

describe('QoS layout paths', () => {
  it.each<[QosClass, string]>([
    ['Guaranteed', 'kubepods/pod0e9f-1'],
    ['Burstable', 'kubepods/burstable/pod0e9f-1'],
    ['BestEffort', 'kubepods/besteffort/pod0e9f-1'],
  ])('places a %s pod at %s', (qos, path) => {
    expect(podCgroupPath(qos, '0e9f-1')).toBe(path);
  });

  it('places a container below its pod', () => {
    expect(containerCgroupPath('kubepods/burstable/podabc', 'c0ffee')).toBe('kubepods/burstable/podabc/c0ffee');
  });

  it.each(['../x', 'a/b', '', '.hidden', 'x\n'])('refuses the id "%s" as a path segment', (id) => {
    expect(() => podCgroupPath('Burstable', id)).toThrow(/cannot name a cgroup/);
    expect(() => containerCgroupPath('kubepods/burstable/podabc', id)).toThrow(/cannot name a cgroup/);
  });
});

describe('resolveParent', () => {
  const hybrid = v1Anchors('/sys/fs/cgroup', '4:memory:/process_api/7d38\n1:cpu:/\n0::/\n');
  const v2 = v2Anchors('/sys/fs/cgroup', ['cpu', 'memory']);

  it('puts an absolute kubelet parent below berth own cgroup in every v1 hierarchy', () => {
    expect(resolveParent('/kubepods/burstable/pod1', hybrid)).toEqual({
      path: 'kubepods/burstable/pod1',
      ociCgroupsPath: 'kubepods/burstable/pod1',
      dirs: {
        memory: '/sys/fs/cgroup/memory/process_api/7d38/kubepods/burstable/pod1',
        cpu: '/sys/fs/cgroup/cpu/kubepods/burstable/pod1',
      },
    });
  });

  it('takes an absolute parent already below berth own cgroup in every hierarchy as it is, not doubling the anchor', () => {
    // The upstream kubelet with cgroupRoot inside berth's own cgroup: its pod cgroup is this one.
    expect(resolveParent('/process_api/7d38/kubelet/kubepods/burstable/pod1', hybrid)).toEqual({
      path: '/process_api/7d38/kubelet/kubepods/burstable/pod1',
      ociCgroupsPath: '/process_api/7d38/kubelet/kubepods/burstable/pod1',
      dirs: {
        memory: '/sys/fs/cgroup/memory/process_api/7d38/kubelet/kubepods/burstable/pod1',
        cpu: '/sys/fs/cgroup/cpu/process_api/7d38/kubelet/kubepods/burstable/pod1',
      },
    });
  });

  it('still puts a parent that is berth own cgroup itself, or beside it, below the anchor', () => {
    expect(resolveParent('/process_api/7d38', hybrid).path).toBe('process_api/7d38');
    expect(resolveParent('/process_api/other/kubepods', hybrid).dirs['memory']).toBe('/sys/fs/cgroup/memory/process_api/7d38/process_api/other/kubepods');
  });

  it('keeps the kubelet path from the root on pure v2, absolute for runc', () => {
    expect(resolveParent('/kubepods/burstable/pod1', v2)).toEqual({
      path: 'kubepods/burstable/pod1',
      ociCgroupsPath: '/kubepods/burstable/pod1',
      dirs: { unified: '/sys/fs/cgroup/kubepods/burstable/pod1' },
    });
  });

  it('reads an empty parent as kubepods', () => {
    expect(resolveParent('', v2).path).toBe('kubepods');
  });

  const hostile: Array<[name: string, parent: string, refusal: RegExp]> = [
    ['a climb out of the anchor', '/kubepods/../../etc', /".." segment/],
    ['a bare ..', '..', /".." segment/],
    ['an empty segment', '/kubepods//pod1', /empty/],
    ['a newline', '/kubepods/pod1\n', /newline/],
    ['a systemd slice', '/kubepods.slice/kubepods-burstable.slice', /systemd slice/],
  ];
  it.each(hostile)('refuses %s', (_name, parent, refusal) => {
    expect(() => resolveParent(parent, hybrid)).toThrow(refusal);
  });
});
