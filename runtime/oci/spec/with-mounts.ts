// The mount table: berth's defaults, the sandbox's shared files, then the CRI mounts, ordered so
// every parent is mounted before its children (runc mounts in list order; a child mounted first
// would be hidden by its parent).
import type { Mount__Output, MountPropagation__Output } from '../../../api/cri/messages.js';
import { InvalidArgumentError, UnimplementedError } from '../../../common/errors.js';
import { containerPath, hostPath, isAtOrBelow, pathDepth } from './container-paths.js';
import { defaultMounts } from './default-mounts.js';
import type { Mount, RootfsPropagation } from './runtime-spec.js';
import type { SpecOption } from './spec-context.js';
import type { SandboxFilePaths } from './spec-input.js';

const propagationOptions: Record<MountPropagation__Output, 'rprivate' | 'rslave' | 'rshared'> = {
  PROPAGATION_PRIVATE: 'rprivate',
  PROPAGATION_HOST_TO_CONTAINER: 'rslave',
  PROPAGATION_BIDIRECTIONAL: 'rshared',
};

function refuseUnsupported(mount: Mount__Output, destination: string): void {
  if (mount.recursiveReadOnly) {
    throw new UnimplementedError(`mount ${destination}: recursive read-only mounts are not supported by berth's runc; drop recursiveReadOnly`);
  }
  if (mount.uidMappings.length > 0 || mount.gidMappings.length > 0) {
    throw new UnimplementedError(`mount ${destination}: id-mapped mounts are not supported yet`);
  }
  if (mount.mountOptions.length > 0) {
    throw new UnimplementedError(`mount ${destination}: mount_options are not supported yet`);
  }
  if (mount.hostPath === '' && mount.image?.image) {
    throw new UnimplementedError(`mount ${destination}: image volumes are not supported yet`);
  }
}

/** The CRI mounts as OCI binds; selinux_relabel is ignored (no SELinux on berth's hosts). */
export function criMounts(mounts: readonly Mount__Output[]): Mount[] {
  const seen = new Set<string>();
  return mounts.map((mount) => {
    const destination = containerPath(mount.containerPath, 'mount container_path');
    if (destination === '/') throw new InvalidArgumentError('a mount cannot replace the container root "/"; use the image instead');
    refuseUnsupported(mount, destination);
    if (seen.has(destination)) throw new InvalidArgumentError(`mount container_path ${destination} is given twice`);
    seen.add(destination);
    return {
      destination,
      type: 'bind',
      source: hostPath(mount.hostPath, `mount ${destination} host_path`),
      options: ['rbind', propagationOptions[mount.propagation], mount.readonly ? 'ro' : 'rw'],
    };
  });
}

function sandboxFileMounts(files: SandboxFilePaths, readonly: boolean): Mount[] {
  const options = ['rbind', 'rprivate', readonly ? 'ro' : 'rw'];
  return [
    { destination: '/etc/hosts', type: 'bind', source: files.hostsPath, options },
    { destination: '/etc/resolv.conf', type: 'bind', source: files.resolvConfPath, options: [...options] },
    { destination: '/etc/hostname', type: 'bind', source: files.hostnamePath, options: [...options] },
  ];
}

/** Parents before children; a stable sort, so equal depths keep their given order. */
export function orderMounts(mounts: readonly Mount[]): Mount[] {
  return [...mounts].sort((a, b) => pathDepth(a.destination) - pathDepth(b.destination));
}

/**
 * The rootfs must propagate at least as much as its most open mount: a BIDIRECTIONAL mount only
 * reaches the host if the tree it sits in is shared, a HOST_TO_CONTAINER one only receives if it
 * is a slave (containerd sets the same).
 */
export function rootfsPropagationFor(mounts: readonly Mount[]): RootfsPropagation {
  const options = new Set(mounts.flatMap((m) => m.options ?? []));
  if (options.has('rshared')) return 'rshared';
  if (options.has('rslave')) return 'rslave';
  return 'rprivate';
}

export const withMounts: SpecOption = (spec, { input, privileged, security }) => {
  const requested = criMounts(input.config.mounts);
  const taken = requested.map((m) => m.destination);
  // A default at or below a CRI mount would hide what the user mounted there.
  const defaults = defaultMounts({ privileged, shmPath: input.sandbox.files.shmPath }).filter((m) => !taken.some((t) => isAtOrBelow(m.destination, t)));
  const files = sandboxFileMounts(input.sandbox.files, security?.readonlyRootfs ?? false).filter((m) => !taken.includes(m.destination));
  spec.mounts = orderMounts([...defaults, ...files, ...requested]);
  spec.linux.rootfsPropagation = rootfsPropagationFor(requested);
};
