import { describe, expect, it } from 'vitest';
import { validateCdiSpec } from '../../../runtime/gpu/cdi/validate-spec.js';

const device = { name: 'd0', containerEdits: { deviceNodes: [{ path: '/dev/d0' }] } };
const spec = (over: Record<string, unknown>) => ({ cdiVersion: '0.6.0', kind: 'example.com/dev', devices: [device], ...over });
const withEdits = (edits: Record<string, unknown>) => spec({ devices: [{ name: 'd0', containerEdits: edits }] });

describe('validateCdiSpec', () => {
  it('accepts a full spec and keeps every field', () => {
    const full = {
      cdiVersion: '1.0.0',
      kind: 'example.com/dev',
      annotations: { a: 'b' },
      devices: [
        {
          name: 'd0',
          annotations: { c: 'd' },
          containerEdits: {
            env: ['A=1'],
            deviceNodes: [{ path: '/dev/d0', hostPath: '/dev/d0', type: 'c', major: 10, minor: 1, fileMode: 0o666, permissions: 'rw', uid: 0, gid: 0 }],
            mounts: [{ hostPath: '/usr/lib/x', containerPath: '/usr/lib/x', options: ['ro', 'bind'] }],
            hooks: [{ hookName: 'createContainer', path: '/usr/bin/hook', args: ['hook', 'x'], env: ['B=2'], timeout: 5 }],
            additionalGids: [44],
          },
        },
      ],
      containerEdits: { env: ['C=3'], mounts: [{ hostPath: 'tmpfs', containerPath: '/scratch', type: 'tmpfs' }] },
    };
    expect(validateCdiSpec(structuredClone(full), 'f.json')).toEqual(full);
  });

  const hostile: { name: string; input: unknown; error: string }[] = [
    { name: 'not an object', input: [], error: 'spec: must be an object' },
    { name: 'a missing version', input: spec({ cdiVersion: undefined }), error: 'cdiVersion: must be a string' },
    { name: 'a version that is not semver', input: spec({ cdiVersion: 'v1' }), error: 'cdiVersion: "v1" is not a version like 1.0.0' },
    { name: 'a version too new', input: spec({ cdiVersion: '2.0.0' }), error: 'cdiVersion: "2.0.0" is newer than berth understands (up to 1.1.x)' },
    { name: 'a pre-0.3 version', input: spec({ cdiVersion: '0.2.0' }), error: 'predates the containerEdits format' },
    { name: 'a kind without a class', input: spec({ kind: 'example.com' }), error: 'kind: kind "example.com" must be vendor/class' },
    { name: 'no devices', input: spec({ devices: [] }), error: 'devices: must list at least one device' },
    { name: 'a duplicate device', input: spec({ devices: [device, device] }), error: 'devices: device "d0" is defined twice' },
    { name: 'a bad device name', input: spec({ devices: [{ ...device, name: 'a/b' }] }), error: 'devices[0].name: device name "a/b" may use only' },
    { name: 'a device without edits', input: spec({ devices: [{ name: 'd0' }] }), error: 'devices[0].containerEdits: must be an object' },
    { name: 'an unknown top-level field', input: spec({ containerRuntime: ['x'] }), error: 'spec.containerRuntime: unknown field' },
    { name: 'intelRdt', input: withEdits({ intelRdt: {} }), error: 'devices[0].containerEdits.intelRdt: Intel RDT edits are not supported by berth' },
    { name: 'netDevices', input: withEdits({ netDevices: [] }), error: 'network device edits are not supported by berth' },
    { name: 'an env entry without a name', input: withEdits({ env: ['=x'] }), error: 'containerEdits.env[0]: "=x" must be NAME=value' },
    { name: 'a relative device path', input: withEdits({ deviceNodes: [{ path: 'dev/x' }] }), error: 'deviceNodes[0].path: "dev/x" must be an absolute path' },
    { name: 'a device path with ..', input: withEdits({ deviceNodes: [{ path: '/dev/../etc/shadow' }] }), error: 'must not contain ".."' },
    { name: 'a device type of s', input: withEdits({ deviceNodes: [{ path: '/dev/x', type: 's' }] }), error: 'deviceNodes[0].type: "s" must be c, b, u or p' },
    { name: 'a negative major', input: withEdits({ deviceNodes: [{ path: '/dev/x', major: -1 }] }), error: 'deviceNodes[0].major: must be an integer from 0' },
    { name: 'a fractional minor', input: withEdits({ deviceNodes: [{ path: '/dev/x', minor: 1.5 }] }), error: 'deviceNodes[0].minor: must be an integer' },
    { name: 'permissions with x', input: withEdits({ deviceNodes: [{ path: '/dev/x', permissions: 'rwx' }] }), error: 'must use letters of "rwm", each once' },
    { name: 'repeated permissions', input: withEdits({ deviceNodes: [{ path: '/dev/x', permissions: 'rr' }] }), error: 'must use letters of "rwm", each once' },
    { name: 'a relative bind source', input: withEdits({ mounts: [{ hostPath: 'lib', containerPath: '/lib' }] }), error: 'mounts[0].hostPath: "lib" must be an absolute path' },
    { name: 'a relative mount target', input: withEdits({ mounts: [{ hostPath: '/lib', containerPath: 'lib' }] }), error: 'mounts[0].containerPath: "lib" must be an absolute path' },
    { name: 'a NUL in a path', input: withEdits({ mounts: [{ hostPath: '/a\0b', containerPath: '/a' }] }), error: 'must not contain NUL' },
    { name: 'non-string options', input: withEdits({ mounts: [{ hostPath: '/a', containerPath: '/a', options: [1] }] }), error: 'mounts[0].options[0]: must be a string' },
    { name: 'an unknown hook stage', input: withEdits({ hooks: [{ hookName: 'preboot', path: '/x' }] }), error: 'hooks[0].hookName: "preboot" must be one of prestart, createRuntime' },
    { name: 'a relative hook path', input: withEdits({ hooks: [{ hookName: 'poststop', path: 'x' }] }), error: 'hooks[0].path: "x" must be an absolute path' },
    { name: 'a zero hook timeout', input: withEdits({ hooks: [{ hookName: 'poststop', path: '/x', timeout: 0 }] }), error: 'hooks[0].timeout: must be greater than zero' },
    { name: 'a string gid', input: withEdits({ additionalGids: ['44'] }), error: 'additionalGids[0]: must be an integer' },
    { name: 'an unknown edit field', input: withEdits({ sysctls: {} }), error: 'containerEdits.sysctls: unknown field' },
    { name: 'a non-string annotation', input: spec({ annotations: { a: 1 } }), error: 'annotations.a: must be a string' },
  ];
  it.each(hostile)('refuses $name', ({ input, error }) => {
    expect(() => validateCdiSpec(input, '/etc/cdi/x.json')).toThrow(`CDI spec /etc/cdi/x.json is invalid: `);
    expect(() => validateCdiSpec(input, '/etc/cdi/x.json')).toThrow(error);
  });
});
