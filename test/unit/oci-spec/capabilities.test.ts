import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../common/errors.js';
import { buildContainerSpec } from '../../../runtime/oci/spec/build-container-spec.js';
import { allCapabilities, capabilitiesFromMask, capabilityName, defaultCapabilities, resolveCapabilities, type CapabilityRequest } from '../../../runtime/oci/spec/capabilities.js';
import { sandboxConfig, sandboxSecurityContext, specInput, withSecurityContext } from './fixtures.js';

const sorted = (caps: readonly string[]): string[] => [...caps].sort();

describe('resolveCapabilities', () => {
  const defaults = sorted(defaultCapabilities);
  const cases: [string, CapabilityRequest, string[]][] = [
    ['grants the 14 defaults when nothing is asked', { add: [], drop: [], privileged: false }, defaults],
    ['adds a named capability with or without the CAP_ prefix', { add: ['NET_ADMIN', 'CAP_SYS_TIME'], drop: [], privileged: false }, sorted([...defaultCapabilities, 'CAP_NET_ADMIN', 'CAP_SYS_TIME'])],
    ['drops a named capability in any case', { add: [], drop: ['net_raw', 'CAP_KILL'], privileged: false }, defaults.filter((c) => c !== 'CAP_NET_RAW' && c !== 'CAP_KILL')],
    ['drops a capability that is both added and dropped', { add: ['SYS_ADMIN'], drop: ['SYS_ADMIN'], privileged: false }, defaults],
    ['grants every capability for add ALL', { add: ['ALL'], drop: [], privileged: false }, sorted(allCapabilities)],
    ['keeps only the named adds after drop ALL', { add: ['CHOWN'], drop: ['ALL'], privileged: false }, ['CAP_CHOWN']],
    ['grants nothing for add ALL and drop ALL', { add: ['ALL'], drop: ['ALL'], privileged: false }, []],
    ['subtracts named drops from add ALL', { add: ['ALL'], drop: ['SYS_ADMIN'], privileged: false }, sorted(allCapabilities.filter((c) => c !== 'CAP_SYS_ADMIN'))],
    ['grants every capability to a privileged container whatever it drops', { add: [], drop: ['ALL'], privileged: true }, sorted(allCapabilities)],
  ];
  it.each(cases)('%s', (_name, request, expected) => {
    expect(sorted(resolveCapabilities(request))).toEqual(expected);
  });

  it('grants only what berth itself holds for ALL and privileged', () => {
    const available = allCapabilities.filter((c) => c !== 'CAP_SYS_RESOURCE');
    expect(resolveCapabilities({ add: ['ALL'], drop: [], privileged: false, available })).not.toContain('CAP_SYS_RESOURCE');
    expect(resolveCapabilities({ add: [], drop: [], privileged: true, available })).toEqual(available);
  });

  it('reads a CapBnd mask from /proc/<pid>/status', () => {
    // This development machine's: every capability up to 40 but CAP_SYS_RESOURCE (24).
    const names = capabilitiesFromMask('000001fffeffffff');
    expect(names).toHaveLength(40);
    expect(names).not.toContain('CAP_SYS_RESOURCE');
    expect(capabilitiesFromMask('0000000000000001')).toEqual(['CAP_CHOWN']);
  });

  it('refuses an unknown capability name', () => {
    expect(() => capabilityName('CAP_FLY')).toThrow(InvalidArgumentError);
  });

  it('knows every capability up to CAP_CHECKPOINT_RESTORE', () => {
    expect(allCapabilities).toHaveLength(41);
    expect(allCapabilities.at(-1)).toBe('CAP_CHECKPOINT_RESTORE');
  });
});

describe('withCapabilities', () => {
  it('sets bounding, effective and permitted alike and leaves inheritable and ambient empty', () => {
    const config = withSecurityContext({ capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: [], addAmbientCapabilities: [] } });
    const caps = buildContainerSpec(specInput({ config })).spec.process.capabilities;
    expect(caps?.bounding).toContain('CAP_NET_ADMIN');
    expect(caps?.effective).toEqual(caps?.bounding);
    expect(caps?.permitted).toEqual(caps?.bounding);
    expect([caps?.inheritable, caps?.ambient]).toEqual([[], []]);
  });

  it('refuses a privileged container in a sandbox that is not privileged', () => {
    expect(() => buildContainerSpec(specInput({ config: withSecurityContext({ privileged: true }) }))).toThrow(/is not; the pod must allow/);
  });

  it('refuses ambient capabilities, which berth does not support yet', () => {
    const config = withSecurityContext({ capabilities: { addCapabilities: [], dropCapabilities: [], addAmbientCapabilities: ['NET_BIND_SERVICE'] } });
    expect(() => buildContainerSpec(specInput({ config }))).toThrow(/ambient capabilities are not supported/);
  });

  it('gives a privileged container in a privileged sandbox every capability', () => {
    const input = specInput({ config: withSecurityContext({ privileged: true }) });
    input.sandbox.config = sandboxConfig({
      linux: { cgroupParent: '', securityContext: sandboxSecurityContext({ privileged: true }), sysctls: {}, overhead: null, resources: null },
    });
    expect(buildContainerSpec(input).spec.process.capabilities?.effective).toEqual(allCapabilities);
  });
});
