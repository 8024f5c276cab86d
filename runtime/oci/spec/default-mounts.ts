// The filesystems every container gets before its own mounts, with the options trusted runtimes
// use (containerd's defaults): proc/sys/dev without suid or exec, a small /dev tmpfs, a private
// devpts instance (newinstance: the host's ptys stay out of reach), sysfs and cgroupfs read-only
// unless privileged.
import type { Mount } from './runtime-spec.js';

export interface DefaultMountOptions {
  privileged: boolean;
  /** The sandbox's shared /dev/shm; undefined gives this container a private tmpfs. */
  shmPath: string | undefined;
}

const shmTmpfsOptions = ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'];

export function defaultMounts({ privileged, shmPath }: DefaultMountOptions): Mount[] {
  const readOnlyUnlessPrivileged = privileged ? [] : ['ro'];
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    shmPath === undefined
      ? { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: shmTmpfsOptions }
      : { destination: '/dev/shm', type: 'bind', source: shmPath, options: ['rbind', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ...readOnlyUnlessPrivileged] },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', ...readOnlyUnlessPrivileged],
    },
  ];
}
