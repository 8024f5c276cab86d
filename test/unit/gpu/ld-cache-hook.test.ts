import { describe, expect, it } from 'vitest';
import { driverLibraryDirs, withLdCacheUpdate } from '../../../runtime/gpu/ld-cache-hook.js';
import type { Spec } from '../../../runtime/oci/spec/runtime-spec.js';

const lib64 = '/usr/local/nvidia/lib64';
const libraries = new Set([`/driver${lib64}/libcuda.so.550.54.15`, '/driver/usr/lib32/libcuda.so.550.54.15']);

const spec = (): Spec =>
  ({
    ociVersion: '1.1.0',
    root: { path: '/var/lib/berth/containers/c1/rootfs' },
    process: { args: ['sh'], cwd: '/', env: [], user: { uid: 0, gid: 0 } },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: `${lib64}/libcuda.so.550.54.15`, type: 'bind', source: `/driver${lib64}/libcuda.so.550.54.15`, options: ['ro', 'bind'] },
      { destination: `${lib64}/libcuda.so.1`, type: 'bind', source: `/driver${lib64}/libcuda.so.550.54.15`, options: ['ro', 'bind'] },
      { destination: '/usr/lib32/libcuda.so.1', type: 'bind', source: '/driver/usr/lib32/libcuda.so.550.54.15', options: ['ro', 'bind'] },
      { destination: '/usr/bin/nvidia-smi', type: 'bind', source: '/driver/usr/bin/nvidia-smi', options: ['ro', 'bind'] },
    ],
    hooks: { createContainer: [{ path: '/usr/bin/other-hook' }] },
    linux: { namespaces: [] },
  }) satisfies Spec;

describe('driverLibraryDirs', () => {
  it('lists each container directory holding a driver library once, in mount order', () => {
    expect(driverLibraryDirs(spec(), libraries)).toEqual([lib64, '/usr/lib32']);
  });
});

describe('withLdCacheUpdate', () => {
  it('appends a createContainer hook running ldconfig chrooted into the root, without touching links', () => {
    const updated = withLdCacheUpdate(spec(), libraries, '/sbin/ldconfig');
    expect(updated.hooks?.createContainer).toEqual([
      { path: '/usr/bin/other-hook' },
      { path: '/sbin/ldconfig', args: ['ldconfig', '-r', '/var/lib/berth/containers/c1/rootfs', '-X', lib64, '/usr/lib32'], timeout: 30 },
    ]);
  });

  it('leaves a spec that mounts no driver library as it is', () => {
    const input = spec();
    input.mounts = input.mounts.filter((m) => !m.destination.includes('libcuda'));
    expect(withLdCacheUpdate(input, libraries, '/sbin/ldconfig')).toBe(input);
  });

  it('does not change the spec it was given', () => {
    const input = spec();
    withLdCacheUpdate(input, libraries, '/sbin/ldconfig');
    expect(input.hooks?.createContainer).toHaveLength(1);
  });
});
