import { describe, expect, it } from 'vitest';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../../common/errors.js';
import { buildContainerSpec } from '../../../runtime/oci/spec/build-container-spec.js';
import type { Device__Output, LinuxContainerResources__Output } from '../../../api/cri/messages.js';
import type { ContainerSpecInput } from '../../../runtime/oci/spec/spec-input.js';
import { defaultDeviceRules } from '../../../runtime/oci/spec/with-devices.js';
import { containerConfig, resources, sandboxConfig, sandboxSecurityContext, specInput, withSecurityContext } from './fixtures.js';

function withResources(overrides: Partial<LinuxContainerResources__Output>, extra: Partial<ContainerSpecInput> = {}) {
  const config = containerConfig({ linux: { resources: resources(overrides), securityContext: null } });
  return buildContainerSpec(specInput({ config, ...extra }));
}

describe('resources', () => {
  it('maps cpu shares, quota, period and cpusets', () => {
    const { spec } = withResources({ cpuShares: '512', cpuQuota: '50000', cpuPeriod: '100000', cpusetCpus: '0-1', cpusetMems: '0' });
    expect(spec.linux.resources?.cpu).toEqual({ shares: 512, quota: 50000, period: 100000, cpus: '0-1', mems: '0' });
  });

  it('leaves out cpu and memory when the request sets nothing', () => {
    const { spec } = withResources({});
    expect([spec.linux.resources?.cpu, spec.linux.resources?.memory]).toEqual([undefined, undefined]);
  });

  it('caps swap at the memory limit when no swap limit is given', () => {
    expect(withResources({ memoryLimitInBytes: '67108864' }).spec.linux.resources?.memory).toEqual({ limit: 67108864, swap: 67108864 });
  });

  it('uses the swap limit when one is given', () => {
    const memory = withResources({ memoryLimitInBytes: '1000', memorySwapLimitInBytes: '3000' }).spec.linux.resources?.memory;
    expect(memory).toEqual({ limit: 1000, swap: 3000 });
  });

  it('sets no swap on a host without swap accounting and says so', () => {
    const host = { cgroupV2: false, swapLimitSupported: false, daemonOomScoreAdj: 0, architecture: 'amd64' as const };
    const { spec, warnings } = withResources({ memoryLimitInBytes: '1000', memorySwapLimitInBytes: '3000' }, { host });
    expect(spec.linux.resources?.memory).toEqual({ limit: 1000 });
    expect(warnings).toEqual([expect.stringContaining('no swap accounting')]);
  });

  it('passes hugepage limits through', () => {
    const { spec } = withResources({ hugepageLimits: [{ pageSize: '2MB', limit: '4194304' }] });
    expect(spec.linux.resources?.hugepageLimits).toEqual([{ pageSize: '2MB', limit: 4194304 }]);
  });

  it('leaves hugepage limits out where the OCI runtime cannot apply them, keeping the rest', () => {
    const host = { cgroupV2: false, swapLimitSupported: true, daemonOomScoreAdj: 0, architecture: 'amd64' as const, hugetlbUnusable: 'no v1 hugetlb' };
    const kubeletLimits = [
      { pageSize: '2MB', limit: '0' },
      { pageSize: '1GB', limit: '0' },
    ];
    const { spec, warnings } = withResources({ memoryLimitInBytes: '1000', hugepageLimits: kubeletLimits }, { host });
    expect(spec.linux.resources?.hugepageLimits).toBeUndefined();
    expect(spec.linux.resources?.memory).toEqual({ limit: 1000, swap: 1000 });
    expect(warnings).toEqual([]);
  });

  it('still refuses a malformed hugepage size where the limits would be left out', () => {
    const host = { cgroupV2: false, swapLimitSupported: true, daemonOomScoreAdj: 0, architecture: 'amd64' as const, hugetlbUnusable: 'no v1 hugetlb' };
    expect(() => withResources({ hugepageLimits: [{ pageSize: '../2MB', limit: '0' }] }, { host })).toThrow(InvalidArgumentError);
  });

  it('passes unified resources through on a cgroup v2 host', () => {
    const host = { cgroupV2: true, swapLimitSupported: true, daemonOomScoreAdj: 0, architecture: 'amd64' as const };
    expect(withResources({ unified: { 'memory.high': '1000000' } }, { host }).spec.linux.resources?.unified).toEqual({ 'memory.high': '1000000' });
  });

  it('refuses unified resources on a cgroup v1 host', () => {
    expect(() => withResources({ unified: { 'memory.high': '1' } })).toThrow(FailedPreconditionError);
  });

  it('limits pids from the sandbox', () => {
    const input = specInput();
    input.sandbox.pidsLimit = 1024;
    expect(buildContainerSpec(input).spec.linux.resources?.pids).toEqual({ limit: 1024 });
  });

  const refusals: [string, Partial<LinuxContainerResources__Output>, RegExp][] = [
    ['a negative memory limit', { memoryLimitInBytes: '-5' }, /must not be negative/],
    ['a memory limit a double cannot hold', { memoryLimitInBytes: '9223372036854775807' }, /too large/],
    ['a hexadecimal cpu share', { cpuShares: '0x100' }, /not a decimal integer/],
    ['a cpu quota below -1', { cpuQuota: '-2' }, /-1 for unlimited/],
    ['swap below the memory limit', { memoryLimitInBytes: '2000', memorySwapLimitInBytes: '1000' }, /below memory_limit_in_bytes/],
    ['a malformed hugepage size', { hugepageLimits: [{ pageSize: '2M', limit: '1' }] }, /hugepage size "2M"/],
    ['a unified key that is a path', { unified: { '../memory.max': '1' } }, /not a cgroup v2 interface file/],
  ];
  it.each(refusals)('refuses %s', (_name, overrides, message) => {
    const host = { cgroupV2: true, swapLimitSupported: true, daemonOomScoreAdj: 0, architecture: 'amd64' as const };
    const attempt = () => withResources(overrides, { host });
    expect(attempt).toThrow(InvalidArgumentError);
    expect(attempt).toThrow(message);
  });
});

describe('devices', () => {
  const gpu: Device__Output = { hostPath: '/dev/nvidia0', containerPath: '/dev/gpu0', permissions: 'rw' };
  const known = { '/dev/nvidia0': { type: 'c' as const, major: 195, minor: 0, fileMode: 0o666, uid: 0, gid: 0 } };

  it('denies all devices but the standard ones by default', () => {
    expect(buildContainerSpec(specInput()).spec.linux.resources?.devices).toEqual(defaultDeviceRules);
  });

  it('creates a requested device and allows it in the devices cgroup', () => {
    const { spec } = buildContainerSpec(specInput({ config: containerConfig({ devices: [gpu] }), devices: known }));
    expect(spec.linux.devices).toEqual([{ path: '/dev/gpu0', type: 'c', major: 195, minor: 0, fileMode: 0o666, uid: 0, gid: 0 }]);
    expect(spec.linux.resources?.devices?.at(-1)).toEqual({ allow: true, type: 'c', major: 195, minor: 0, access: 'rw' });
  });

  it('refuses a device the caller did not find on the host', () => {
    expect(() => buildContainerSpec(specInput({ config: containerConfig({ devices: [gpu] }) }))).toThrow(NotFoundError);
  });

  const badDevices: [string, Device__Output][] = [
    ['permissions outside rwm', { ...gpu, permissions: 'rwx' }],
    ['repeated permissions', { ...gpu, permissions: 'rr' }],
    ['a relative container path', { ...gpu, containerPath: 'dev/gpu0' }],
    ['a ".." container path', { ...gpu, containerPath: '/dev/../etc/passwd' }],
  ];
  it.each(badDevices)('refuses a device with %s', (_name, device) => {
    expect(() => buildContainerSpec(specInput({ config: containerConfig({ devices: [device] }), devices: known }))).toThrow(InvalidArgumentError);
  });

  it('allows every device and adds the host devices for a privileged container', () => {
    const input = specInput({
      config: withSecurityContext({ privileged: true }),
      allHostDevices: [{ path: '/dev/sda', type: 'b', major: 8, minor: 0 }],
    });
    input.sandbox.config = sandboxConfig({
      linux: { cgroupParent: '', securityContext: sandboxSecurityContext({ privileged: true }), sysctls: {}, overhead: null, resources: null },
    });
    const { spec } = buildContainerSpec(input);
    expect(spec.linux.resources?.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(spec.linux.devices).toEqual([{ path: '/dev/sda', type: 'b', major: 8, minor: 0 }]);
    expect(spec.mounts.find((m) => m.destination === '/sys')?.options).not.toContain('ro');
  });
});
