import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, UnimplementedError } from '../../../common/errors.js';
import { buildContainerSpec } from '../../../runtime/oci/spec/build-container-spec.js';
import type { Mount__Output } from '../../../api/cri/messages.js';
import { containerConfig, mount, specInput } from './fixtures.js';

function mountsFor(mounts: Mount__Output[]) {
  return buildContainerSpec(specInput({ config: containerConfig({ mounts }) })).spec;
}

const destinations = (spec: ReturnType<typeof mountsFor>): string[] => spec.mounts.map((m) => m.destination);

describe('mounts', () => {
  it('mounts the defaults and the sandbox files when the container asks for nothing', () => {
    expect(destinations(mountsFor([]))).toEqual(['/proc', '/dev', '/sys', '/dev/pts', '/dev/shm', '/dev/mqueue', '/etc/hosts', '/etc/resolv.conf', '/etc/hostname', '/sys/fs/cgroup']);
  });

  it('puts every parent before its children whatever order the request gives', () => {
    const spec = mountsFor([mount({ containerPath: '/data/a/b' }), mount({ containerPath: '/data' }), mount({ containerPath: '/data/a' })]);
    const order = destinations(spec).filter((d) => d.startsWith('/data'));
    expect(order).toEqual(['/data', '/data/a', '/data/a/b']);
  });

  it('binds the sandbox /dev/shm, or gives a private tmpfs when the sandbox has none', () => {
    const shared = mountsFor([]).mounts.find((m) => m.destination === '/dev/shm');
    const input = specInput();
    const { shmPath: _dropped, ...files } = input.sandbox.files;
    input.sandbox.files = files;
    const own = buildContainerSpec(input).spec.mounts.find((m) => m.destination === '/dev/shm');
    expect(shared).toMatchObject({ type: 'bind', source: '/run/berth/sandboxes/sb1/shm' });
    expect(own).toMatchObject({ type: 'tmpfs', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] });
  });

  it('leaves out a sandbox file the container mounts over itself', () => {
    const spec = mountsFor([mount({ containerPath: '/etc/resolv.conf', hostPath: '/my/resolv.conf' })]);
    const resolv = spec.mounts.filter((m) => m.destination === '/etc/resolv.conf');
    expect(resolv).toEqual([{ destination: '/etc/resolv.conf', type: 'bind', source: '/my/resolv.conf', options: ['rbind', 'rprivate', 'rw'] }]);
  });

  it('drops the default mounts below a directory the container mounts itself', () => {
    const spec = mountsFor([mount({ containerPath: '/dev', hostPath: '/my/dev' })]);
    expect(destinations(spec).filter((d) => d.startsWith('/dev'))).toEqual(['/dev']);
  });

  const propagation: [string, Mount__Output['propagation'], string, string][] = [
    ['maps PRIVATE to rprivate', 'PROPAGATION_PRIVATE', 'rprivate', 'rprivate'],
    ['maps HOST_TO_CONTAINER to rslave and makes the rootfs a slave', 'PROPAGATION_HOST_TO_CONTAINER', 'rslave', 'rslave'],
    ['maps BIDIRECTIONAL to rshared and shares the rootfs', 'PROPAGATION_BIDIRECTIONAL', 'rshared', 'rshared'],
  ];
  it.each(propagation)('%s', (_name, value, option, rootfs) => {
    const spec = mountsFor([mount({ containerPath: '/data', propagation: value, readonly: true })]);
    expect(spec.mounts.find((m) => m.destination === '/data')?.options).toEqual(['rbind', option, 'ro']);
    expect(spec.linux.rootfsPropagation).toBe(rootfs);
  });

  it('mounts /sys and the cgroup tree read-only', () => {
    const spec = mountsFor([]);
    expect(spec.mounts.find((m) => m.destination === '/sys')?.options).toContain('ro');
    expect(spec.mounts.find((m) => m.destination === '/sys/fs/cgroup')?.options).toContain('ro');
  });

  const refusals: [string, Partial<Mount__Output> & { containerPath: string }, new (...args: never[]) => Error, RegExp][] = [
    ['a relative container path', { containerPath: 'data' }, InvalidArgumentError, /must be an absolute path/],
    ['a ".." segment in the container path', { containerPath: '/data/../etc' }, InvalidArgumentError, /must not contain ".."/],
    ['a container path that is only ".."', { containerPath: '/..' }, InvalidArgumentError, /must not contain ".."/],
    ['a NUL byte in the container path', { containerPath: '/da\0ta' }, InvalidArgumentError, /NUL byte/],
    ['a mount over the root', { containerPath: '/' }, InvalidArgumentError, /cannot replace the container root/],
    ['a relative host path', { containerPath: '/data', hostPath: 'data' }, InvalidArgumentError, /absolute host path/],
    ['a recursive read-only mount', { containerPath: '/data', recursiveReadOnly: true }, UnimplementedError, /recursive read-only/],
    ['an id-mapped mount', { containerPath: '/data', uidMappings: [{ containerId: 0, hostId: 1000, length: 1 }] }, UnimplementedError, /id-mapped/],
  ];
  it.each(refusals)('refuses %s', (_name, overrides, type, message) => {
    const attempt = () => mountsFor([mount(overrides)]);
    expect(attempt).toThrow(type);
    expect(attempt).toThrow(message);
  });

  it('refuses the same container path twice, however it is spelled', () => {
    expect(() => mountsFor([mount({ containerPath: '/data' }), mount({ containerPath: '//data/./' })])).toThrow(/given twice/);
  });
});
