import { describe, expect, it } from 'vitest';
import { cgroup2SuperMagic, cgroupModeOf } from '../../../runtime/oci/cgroup-mode.js';
import { selectOciRuntime, type RuntimeFacts } from '../../../runtime/oci/runtime-selection.js';

const both = { runc: '/usr/sbin/runc', crun: '/usr/bin/crun' };
const tmpfsMagic = 0x01021994;

function facts(cgroupMode: RuntimeFacts['cgroupMode'], found: RuntimeFacts['found'] = both): RuntimeFacts {
  return { cgroupMode, found };
}

describe('selectOciRuntime', () => {
  it('picks crun on a pure cgroup v2 host that has it', () => {
    expect(selectOciRuntime(undefined, facts('v2'))).toMatchObject({ name: 'crun', path: '/usr/bin/crun' });
  });

  it('picks runc on a v2 host without crun', () => {
    expect(selectOciRuntime(undefined, facts('v2', { runc: '/usr/sbin/runc' })).name).toBe('runc');
  });

  it.each(['hybrid', 'v1'] as const)('picks runc on a %s host even with crun installed', (mode) => {
    expect(selectOciRuntime(undefined, facts(mode)).name).toBe('runc');
  });

  it('honours an explicit runc on a v2 host', () => {
    expect(selectOciRuntime('runc', facts('v2'))).toMatchObject({ name: 'runc', reason: 'requested' });
  });

  it.each(['hybrid', 'v1'] as const)('refuses an explicit crun on a %s host with a message that says what to do', (mode) => {
    expect(() => selectOciRuntime('crun', facts(mode))).toThrow(expect.objectContaining({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('use runc') as unknown }));
  });

  it('fails with NOT_FOUND when the requested runtime is not installed', () => {
    expect(() => selectOciRuntime('runc', facts('v2', { crun: '/usr/bin/crun' }))).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('fails with NOT_FOUND when no runtime is installed', () => {
    expect(() => selectOciRuntime(undefined, facts('hybrid', {}))).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});

describe('cgroupModeOf', () => {
  it.each([
    ['v2', { rootType: cgroup2SuperMagic, rootHasControllersFile: true, unifiedType: undefined }],
    ['hybrid', { rootType: tmpfsMagic, rootHasControllersFile: false, unifiedType: cgroup2SuperMagic }],
    ['v1', { rootType: tmpfsMagic, rootHasControllersFile: false, unifiedType: undefined }],
    ['v1', { rootType: undefined, rootHasControllersFile: false, unifiedType: undefined }],
    // A cgroup2 root without cgroup.controllers is not a usable v2 hierarchy.
    ['v1', { rootType: cgroup2SuperMagic, rootHasControllersFile: false, unifiedType: undefined }],
  ] as const)('reads %s from %o', (mode, cgroupFacts) => {
    expect(cgroupModeOf(cgroupFacts)).toBe(mode);
  });
});
