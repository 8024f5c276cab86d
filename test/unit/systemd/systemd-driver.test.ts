// The systemd cgroup driver's pure parts: slice names from the kubelet's cgroup names, their
// cgroup paths, the OCI cgroupsPath of a container scope, the unit properties limits become, the
// driver the kubelet settles on against the runtime's RuntimeConfig, and the runtime's config file.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseRuntimeConfigFile } from '../../../cli/runtime-options.js';
import { expandSlice, parentSlice, parseSystemdCgroupsPath, scopeCgroupPath, sliceNameOf, systemdCgroupsPath } from '../../../common/systemd/slice-names.js';
import type { SystemdUnits } from '../../../common/systemd/systemd-units.js';
import { busctlPropertyArgs, unitPropertiesFor } from '../../../common/systemd/unit-properties.js';
import { resolveCgroupDriver } from '../../../kubelet/cgroup-driver.js';
import { podCgroupParent } from '../../../kubelet/pod-cgroup.js';
import type { Cgroups } from '../../../runtime/cgroups/cgroups.js';
import { atRoots } from '../../../runtime/cgroups/detect.js';
import { v1Anchors } from '../../../runtime/cgroups/own-cgroup.js';
import { isPodOwnCgroup } from '../../../runtime/sandbox/sandbox-config.js';
import { podSliceOf, systemdContainerPlacement, systemdSandboxCgroupPort } from '../../../runtime/sandbox/systemd-pod-cgroups.js';
import { criResources } from '../cgroups/cri-resources.js';

describe('slice names', () => {
  it.each([
    ['/', '-.slice'],
    ['/kubepods', 'kubepods.slice'],
    ['/kubepods/burstable', 'kubepods-burstable.slice'],
    ['/kubepods/besteffort/pod8a1f6c2e-4b7d-4e57-9c36-0d5e1f2a3b4c', 'kubepods-besteffort-pod8a1f6c2e_4b7d_4e57_9c36_0d5e1f2a3b4c.slice'],
    ['/kubepods/pod1234', 'kubepods-pod1234.slice'],
  ])('names the cgroup %s as the slice %s, a level\'s own "-" written "_"', (path, slice) => {
    expect(sliceNameOf(path)).toBe(slice);
  });

  it.each([
    ['-.slice', ''],
    ['kubepods.slice', 'kubepods.slice'],
    ['kubepods-burstable-pod1f2e_77.slice', 'kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e_77.slice'],
  ])('puts the slice %s at the cgroup path "%s" below each hierarchy root', (slice, path) => {
    expect(expandSlice(slice)).toBe(path);
  });

  it.each([
    ['not a slice', 'kubepods'],
    ['a path', 'kubepods.slice/x.slice'],
    ['an empty level', 'kubepods--x.slice'],
    ['a leading dash', '-kubepods.slice'],
    ['a trailing dash', 'kubepods-.slice'],
    ['a newline', 'kube\npods.slice'],
  ])('refuses %s as a slice', (_name, slice) => {
    expect(() => expandSlice(slice)).toThrow(/slice/);
  });

  it('refuses a cgroup name that climbs or holds characters no unit name may', () => {
    expect(() => sliceNameOf('/kubepods/../x')).toThrow(/cannot be a systemd slice/);
    expect(() => sliceNameOf('/kube pods')).toThrow(/cannot be a systemd slice/);
  });

  it("finds a slice's parent slice", () => {
    expect(parentSlice('kubepods-burstable.slice')).toBe('kubepods.slice');
    expect(parentSlice('kubepods.slice')).toBe('-.slice');
  });
});

describe("containers' cgroupsPath under systemd", () => {
  it('is slice:prefix:name, and names the scope runc makes in the slice', () => {
    const path = { slice: 'kubepods-burstable-pod1f2e_77.slice', prefix: 'cri-berth', name: 'c0ffee' };
    expect(systemdCgroupsPath(path)).toBe('kubepods-burstable-pod1f2e_77.slice:cri-berth:c0ffee');
    expect(parseSystemdCgroupsPath('kubepods-burstable-pod1f2e_77.slice:cri-berth:c0ffee')).toEqual(path);
    expect(scopeCgroupPath(path)).toBe('kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e_77.slice/cri-berth-c0ffee.scope');
  });

  it.each([['kubepods.slice:cri-berth'], ['kubepods.slice:a:b:c'], ['/kubepods:cri-berth:x'], ['kubepods.slice:cri-berth:']])('refuses %s', (text) => {
    expect(() => parseSystemdCgroupsPath(text)).toThrow();
  });

  it("places a container's scope in its pod's slice, for runc and for the cgroup layer", () => {
    const placement = systemdContainerPlacement();
    const sandbox = { config: {} as never, cgroupPath: 'kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podab_cd.slice' };
    expect(placement.ociPath(sandbox, 'abc123')).toBe('kubepods-besteffort-podab_cd.slice:cri-berth:abc123');
    expect(placement.path(sandbox, 'abc123')).toBe('kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podab_cd.slice/cri-berth-abc123.scope');
  });

  it('refuses a container of a sandbox made under cgroupfs, and a cgroupfs parent, naming the driver', () => {
    const placement = systemdContainerPlacement();
    expect(() => placement.ociPath({ config: {} as never, cgroupPath: 'kubepods/burstable/pod1' }, 'abc')).toThrow(/cgroupfs driver/);
    expect(() => podSliceOf('/kubepods/burstable/pod1', 'abc')).toThrow(/cgroupfs path, but this runtime uses the systemd cgroup driver/);
    expect(podSliceOf('', 'abc')).toBe('berth-podabc.slice');
  });

  it("counts the kubelet's pod slice as the pod's own cgroup (removed with its sandbox)", () => {
    expect(isPodOwnCgroup('kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e_77.slice', '1f2e-77')).toBe(true);
    expect(isPodOwnCgroup('kubepods.slice/kubepods-burstable.slice', '1f2e-77')).toBe(false);
  });
});

describe('limits as unit properties', () => {
  it('gives v1 CPUShares, a quota per second rounded up to whole percents, MemoryLimit and TasksMax, with accounting on', () => {
    const props = unitPropertiesFor({ cpuShares: 512, cpuQuotaUs: 50_000, cpuPeriodUs: 100_000, memoryBytes: 64 << 20, pidsMax: 100 }, 'v1');
    expect(props.map((p) => `${p.name}=${p.value}`)).toEqual([
      'CPUAccounting=true',
      'MemoryAccounting=true',
      'TasksAccounting=true',
      'BlockIOAccounting=true',
      'CPUShares=512',
      'CPUQuotaPerSecUSec=500000',
      'MemoryLimit=67108864',
      'TasksMax=100',
    ]);
    expect(unitPropertiesFor({ cpuQuotaUs: 33_333, cpuPeriodUs: 100_000 }, 'v1').find((p) => p.name === 'CPUQuotaPerSecUSec')?.value).toBe('340000');
  });

  it('gives v2 CPUWeight and MemoryMax, a period other than 100 ms, and infinity for -1', () => {
    const props = unitPropertiesFor({ cpuShares: 1024, cpuQuotaUs: -1, cpuPeriodUs: 50_000, memoryBytes: -1 }, 'v2');
    expect(props.slice(4).map((p) => `${p.name}=${p.value}`)).toEqual(['CPUWeight=39', 'CPUQuotaPeriodUSec=50000', 'CPUQuotaPerSecUSec=18446744073709551615', 'MemoryMax=18446744073709551615']);
  });

  it("writes busctl's a(sv) words: the count, then name, type and value", () => {
    expect(busctlPropertyArgs([{ name: 'CPUShares', type: 't', value: '2' }])).toEqual(['1', 'CPUShares', 't', '2']);
  });
});

describe('the kubelet cgroup driver against the runtime', () => {
  it("takes the runtime's driver where the kubelet sets none, and cgroupfs where neither says", () => {
    expect(resolveCgroupDriver(undefined, 'SYSTEMD', 'unix:///run/berth/berth.sock')).toBe('systemd');
    expect(resolveCgroupDriver(undefined, undefined, 'unix:///x')).toBe('cgroupfs');
    expect(resolveCgroupDriver('systemd', undefined, 'unix:///x')).toBe('systemd');
    expect(resolveCgroupDriver('systemd', 'SYSTEMD', 'unix:///x')).toBe('systemd');
  });

  it('refuses a mismatch, naming both drivers and the endpoint', () => {
    expect(() => resolveCgroupDriver('systemd', 'CGROUPFS', 'unix:///run/berth/berth.sock')).toThrow(
      'cgroup driver mismatch: the kubelet is configured with cgroupDriver systemd, but the container runtime on unix:///run/berth/berth.sock uses the cgroupfs driver',
    );
    expect(() => resolveCgroupDriver('cgroupfs', 'SYSTEMD', 'unix:///x')).toThrow(/cgroupDriver cgroupfs, but .* uses the systemd driver/);
  });

  it("names a pod's cgroup parent as a slice under systemd, as a path under cgroupfs", () => {
    const pod: V1Pod = { metadata: { uid: '8a1f-4b7d' }, spec: { containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }] } };
    expect(podCgroupParent(pod, '/kubepods', 'systemd')).toBe('kubepods-burstable-pod8a1f_4b7d.slice');
    expect(podCgroupParent(pod, '/kubepods', 'cgroupfs')).toBe('/kubepods/burstable/pod8a1f-4b7d');
  });
});

describe('the runtime config file', () => {
  it('takes cgroupDriver', () => {
    expect(parseRuntimeConfigFile('{"cgroupDriver": "systemd"}', '/etc/berth/runtime.json')).toEqual({ cgroupDriver: 'systemd' });
  });

  it.each([
    ['not JSON', 'cgroupDriver: systemd', /not JSON/],
    ['an unknown setting', '{"cgroupdriver": "systemd"}', /unknown setting "cgroupdriver"/],
    ['an unknown driver', '{"cgroupDriver": "system"}', /expected cgroupfs or systemd/],
    ['an array', '[]', /JSON object/],
  ])('refuses %s, naming the file', (_name, text, message) => {
    expect(() => parseRuntimeConfigFile(text, '/etc/berth/runtime.json')).toThrow(message);
  });
});

describe("the runtime's pod cgroups under systemd (recorded systemd and cgroup layer)", () => {
  const record = () => {
    const calls: string[] = [];
    const units: SystemdUnits = {
      ensureSlice: async (name, props) => void calls.push(`ensureSlice ${name} ${props.map((p) => `${p.name}=${p.value}`).join(' ')}`),
      setProperties: async (unit, props) => void calls.push(`setProperties ${unit} ${props.map((p) => `${p.name}=${p.value}`).join(' ')}`),
      stopUnit: async (name) => void calls.push(`stopUnit ${name}`),
      activeState: async () => 'active',
    };
    const cgroups = {
      version: 'v1',
      create: async (path: string) => void calls.push(`cgroups.create ${path}`),
      apply: async (path: string, limits: object) => void calls.push(`cgroups.apply ${path} ${JSON.stringify(limits)}`),
      update: async (path: string, limits: object) => void calls.push(`cgroups.update ${path} ${JSON.stringify(limits)}`),
      remove: async (path: string) => void calls.push(`cgroups.remove ${path}`),
    } as unknown as Cgroups;
    const anchors = atRoots(v1Anchors('/sys/fs/cgroup', '4:memory:/system.slice/berth-runtime.service\n1:cpu:/system.slice\n'));
    return { calls, port: systemdSandboxCgroupPort(cgroups, anchors, units) };
  };

  it("starts the kubelet's pod slice with the pod limits as properties and returns its path from the hierarchy roots", async () => {
    const { calls, port } = record();
    const path = await port.create('kubepods-burstable-pod1f2e_77.slice', 'abc', { resources: criResources({ cpuShares: '256', memoryLimitInBytes: String(64 << 20) }), overhead: null });
    expect(path).toBe('kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e_77.slice');
    expect(calls).toEqual(['ensureSlice kubepods-burstable-pod1f2e_77.slice CPUAccounting=true MemoryAccounting=true TasksAccounting=true BlockIOAccounting=true CPUShares=256 MemoryLimit=67108864']);
  });

  it('writes what systemd has no property for (a cpuset) to the files, after making the directories systemd does not', async () => {
    const { calls, port } = record();
    await port.create('', 'abc', { resources: criResources({ cpusetCpus: '0' }), overhead: null });
    expect(calls.slice(1)).toEqual(['cgroups.create berth.slice/berth-podabc.slice', 'cgroups.apply berth.slice/berth-podabc.slice {"cpusetCpus":"0"}']);
  });

  it('stops the slice, then removes what runc left in the other hierarchies', async () => {
    const { calls, port } = record();
    await port.remove('kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podab.slice');
    expect(calls).toEqual(['stopUnit kubepods-besteffort-podab.slice', 'cgroups.remove kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podab.slice']);
  });
});
