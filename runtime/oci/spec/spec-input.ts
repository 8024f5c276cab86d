// Everything buildContainerSpec needs, gathered by the caller (CreateContainer) beforehand: the
// builder reads no file and asks no kernel, so every host fact arrives here as data.
import type { ContainerConfig__Output, PodSandboxConfig__Output } from '../../../api/cri/messages.js';
import type { ImageConfig } from '../../images/oci-types.js';
import type { DeviceType, LinuxSeccomp } from './runtime-spec.js';

/** Pinned namespaces of the sandbox (bind mounts of /proc/<pid>/ns/*), absent when host. */
export interface SandboxNamespacePaths {
  network?: string;
  ipc?: string;
  uts?: string;
  /** Only when the pod shares one pid namespace (NamespaceMode POD). */
  pid?: string;
}

/** Files the sandbox prepared for all its containers. */
export interface SandboxFilePaths {
  hostsPath: string;
  resolvConfPath: string;
  hostnamePath: string;
  /** Bound at /dev/shm; absent (host IPC) gives the container a private tmpfs instead. */
  shmPath?: string;
}

export interface SandboxFacts {
  id: string;
  config: PodSandboxConfig__Output;
  /** The pod's hostname (the node's for host-network pods). */
  hostname: string;
  namespaces: SandboxNamespacePaths;
  files: SandboxFilePaths;
  /** Per-container pids limit, when the node sets one. */
  pidsLimit?: number;
}

/** A device node as the caller found it on the host (lstat of the host path). */
export interface HostDevice {
  type: DeviceType;
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

/** A host device listed for a privileged container: where it lives on the host. */
export interface HostDeviceEntry extends HostDevice {
  path: string;
}

export interface HostFacts {
  /** Pure cgroup v2 (unified) host: gives containers a cgroup namespace, allows `unified`. */
  cgroupV2: boolean;
  /** Whether memory+swap limits can be set (v1 memory.memsw.* present, or v2 memory.swap.max). */
  swapLimitSupported: boolean;
  /**
   * Why the OCI runtime's cgroup manager cannot apply hugepage limits on this host
   * (cgroups/hugetlb-support.ts); absent where it can. Where set, they are left out of the spec,
   * and the wiring has said why once at start.
   */
  hugetlbUnusable?: string | undefined;
  /** berth's own oom_score_adj: a child cannot go lower than its parent here. */
  daemonOomScoreAdj: number;
  /** Selects the seccomp architectures of the default profile. */
  architecture: 'amd64' | 'arm64';
  /** berth's bounding capability set; what "ALL" and privileged grant. Absent: every known one. */
  boundingCapabilities?: readonly string[] | undefined;
}

export interface ContainerSpecInput {
  containerId: string;
  config: ContainerConfig__Output;
  /** The reference the image was resolved from, for the image-name annotation. */
  imageName: string;
  image: ImageConfig;
  /** The mounted container rootfs (the snapshot's merged dir). */
  rootfsPath: string;
  /** Given by the cgroup manager; runc places a relative path under its own cgroup. */
  cgroupsPath: string;
  sandbox: SandboxFacts;
  host: HostFacts;
  /** Contents of the rootfs's /etc/passwd, or undefined when the image has none. */
  etcPasswd: string | undefined;
  /** Contents of the rootfs's /etc/group, or undefined when the image has none. */
  etcGroup: string | undefined;
  /** Target container's pid namespace path, for NamespaceMode TARGET. */
  targetPidNamespacePath?: string;
  /** Host devices named by the CRI `devices`, keyed by host path. */
  devices?: Readonly<Record<string, HostDevice>>;
  /** Every host device, listed by the caller for a privileged container. */
  allHostDevices?: readonly HostDeviceEntry[];
  /** Overrides berth's built-in RuntimeDefault profile. */
  runtimeDefaultSeccomp?: LinuxSeccomp;
  /** The profile named by a Localhost seccomp reference, loaded and parsed by the caller. */
  localhostSeccomp?: LinuxSeccomp;
}
