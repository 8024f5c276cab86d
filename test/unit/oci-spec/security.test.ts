import { describe, expect, it } from 'vitest';
import { buildContainerSpec } from '../../../runtime/oci/spec/build-container-spec.js';
import type { LinuxSeccomp } from '../../../runtime/oci/spec/runtime-spec.js';
import { localhostSeccompRef } from '../../../runtime/oci/spec/seccomp-choice.js';
import { defaultSeccompProfile } from '../../../runtime/oci/spec/seccomp-default.js';
import { defaultMaskedPaths, defaultReadonlyPaths } from '../../../runtime/oci/spec/with-security.js';
import { sandboxConfig, sandboxSecurityContext, securityContext, specInput, withSecurityContext } from './fixtures.js';
import type { ContainerSpecInput } from '../../../runtime/oci/spec/spec-input.js';
import type { LinuxContainerSecurityContext__Output } from '../../../api/cri/messages.js';

function privilegedInput(): ContainerSpecInput {
  const input = specInput({ config: withSecurityContext({ privileged: true, seccomp: { profileType: 'RuntimeDefault', localhostRef: '' } }) });
  input.sandbox.config = sandboxConfig({
    linux: { cgroupParent: '', securityContext: sandboxSecurityContext({ privileged: true }), sysctls: {}, overhead: null, resources: null },
  });
  return input;
}

describe('masked and read-only paths', () => {
  it('masks and freezes the default /proc and /sys paths', () => {
    const { linux } = buildContainerSpec(specInput()).spec;
    expect(linux.maskedPaths).toEqual(defaultMaskedPaths);
    expect(linux.readonlyPaths).toEqual(defaultReadonlyPaths);
  });

  it('uses the paths the CRI request lists instead of the defaults', () => {
    const config = withSecurityContext({ maskedPaths: ['/proc/kcore'], readonlyPaths: ['/proc/sys'] });
    const { linux } = buildContainerSpec(specInput({ config })).spec;
    expect([linux.maskedPaths, linux.readonlyPaths]).toEqual([['/proc/kcore'], ['/proc/sys']]);
  });

  it('masks nothing in a privileged container', () => {
    const { linux } = buildContainerSpec(privilegedInput()).spec;
    expect([linux.maskedPaths, linux.readonlyPaths]).toEqual([undefined, undefined]);
  });

  it('refuses a relative masked path', () => {
    expect(() => buildContainerSpec(specInput({ config: withSecurityContext({ maskedPaths: ['proc/kcore'] }) }))).toThrow(/must be an absolute path/);
  });
});

describe('read-only rootfs', () => {
  it('marks the root read-only and binds the sandbox files read-only', () => {
    const { spec } = buildContainerSpec(specInput({ config: withSecurityContext({ readonlyRootfs: true }) }));
    expect(spec.root.readonly).toBe(true);
    expect(spec.mounts.find((m) => m.destination === '/etc/hosts')?.options).toContain('ro');
  });
});

describe('seccomp', () => {
  const localProfile: LinuxSeccomp = { defaultAction: 'SCMP_ACT_LOG' };
  const cases: [string, Partial<LinuxContainerSecurityContext__Output>, LinuxSeccomp | 'default' | undefined][] = [
    ['applies berth default profile for RuntimeDefault', { seccomp: { profileType: 'RuntimeDefault', localhostRef: '' } }, 'default'],
    ['applies no filter for Unconfined', { seccomp: { profileType: 'Unconfined', localhostRef: '' } }, undefined],
    ['applies the loaded profile for Localhost', { seccomp: { profileType: 'Localhost', localhostRef: '/p.json' } }, localProfile],
    ['applies no filter when nothing is asked', {}, undefined],
    ['applies the default profile for the deprecated runtime/default path', { seccompProfilePath: 'runtime/default' }, 'default'],
    ['applies the loaded profile for a deprecated localhost/ path', { seccompProfilePath: 'localhost//p.json' }, localProfile],
  ];
  it.each(cases)('%s', (_name, security, expected) => {
    const input = specInput({ config: withSecurityContext(security), localhostSeccomp: localProfile });
    const { spec } = buildContainerSpec(input);
    const capabilities = spec.process.capabilities?.effective ?? [];
    const want = expected === 'default' ? defaultSeccompProfile({ capabilities, architecture: 'amd64' }) : expected;
    expect(spec.linux.seccomp).toEqual(want);
  });

  it('refuses a Localhost profile the caller did not load', () => {
    const config = withSecurityContext({ seccomp: { profileType: 'Localhost', localhostRef: '/p.json' } });
    expect(() => buildContainerSpec(specInput({ config }))).toThrow(/localhost\/\/p.json was not loaded/);
  });

  it('tells the caller which Localhost profile to load', () => {
    expect(localhostSeccompRef(securityContext({ seccomp: { profileType: 'Localhost', localhostRef: '/p.json' } }))).toBe('/p.json');
    expect(localhostSeccompRef(securityContext({ seccompProfilePath: 'runtime/default' }))).toBeUndefined();
  });

  it('refuses a seccomp profile path it does not understand', () => {
    expect(() => buildContainerSpec(specInput({ config: withSecurityContext({ seccompProfilePath: '/etc/p.json' }) }))).toThrow(/not understood/);
  });

  it('leaves a privileged container unconfined even when RuntimeDefault is asked', () => {
    expect(buildContainerSpec(privilegedInput()).spec.linux.seccomp).toBeUndefined();
  });
});

describe('defaultSeccompProfile', () => {
  const allowed = (profile: LinuxSeccomp): string[] => (profile.syscalls ?? []).filter((s) => s.action === 'SCMP_ACT_ALLOW' && s.args === undefined).flatMap((s) => s.names);

  it('denies with EPERM what it does not list, for the host architectures', () => {
    const profile = defaultSeccompProfile({ capabilities: [], architecture: 'amd64' });
    expect(profile).toMatchObject({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    });
    expect(defaultSeccompProfile({ capabilities: [], architecture: 'arm64' }).architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  });

  it('allows what an ordinary process needs and not host administration', () => {
    const names = allowed(defaultSeccompProfile({ capabilities: ['CAP_CHOWN'], architecture: 'amd64' }));
    expect(names).toEqual(expect.arrayContaining(['read', 'write', 'openat', 'execve', 'futex', 'socket', 'arch_prctl']));
    for (const denied of ['mount', 'unshare', 'setns', 'reboot', 'init_module', 'kexec_load', 'bpf', 'clone3']) {
      expect(names).not.toContain(denied);
    }
  });

  it('allows clone only without namespace flags and makes clone3 fall back when CAP_SYS_ADMIN is missing', () => {
    const rules = defaultSeccompProfile({ capabilities: [], architecture: 'amd64' }).syscalls ?? [];
    expect(rules.find((r) => r.names.includes('clone'))?.args).toEqual([{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
    expect(rules.find((r) => r.names.includes('clone3'))).toMatchObject({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
  });

  it('allows the administration syscalls of a granted capability', () => {
    const names = allowed(defaultSeccompProfile({ capabilities: ['CAP_SYS_ADMIN', 'CAP_SYS_TIME'], architecture: 'amd64' }));
    expect(names).toEqual(expect.arrayContaining(['mount', 'unshare', 'clone', 'clone3', 'clock_settime']));
  });
});
