// What the sandbox manager asks of the world, as ports: the adapters (namespace pins, CNI, the
// pod's files, its cgroup) are wired in runtime/wiring.ts, and unit tests pass recorders.
import type { PodSandboxConfig__Output } from '../../api/cri/messages.js';
import type { Abortable } from '../../common/abort.js';
import type { CgroupStats, OomEvents } from '../cgroups/stats.js';
import type { PidNamespacePort } from '../linux/pid-namespace.js';
import type { NamespacePins, SandboxFiles, SandboxResources } from './sandbox-record.js';
import type { LeftoverMountsPort } from './sandbox-recovery.js';

export interface PortMappingRequest {
  protocol: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  hostPort: number;
  hostIp: string;
}

/** Pins namespaces to files so they outlive every process in them. */
export interface NamespacePort {
  create(dir: string, kinds: { network: boolean; ipc: boolean; uts: boolean }, hostname: string, options?: Abortable): Promise<NamespacePins>;
  remove(pins: NamespacePins, options?: Abortable): Promise<void>;
}

export interface NetworkPort {
  setUp(
    request: {
      sandboxId: string;
      netnsPath: string;
      podName: string;
      podNamespace: string;
      podUid: string;
      portMappings: PortMappingRequest[];
      /** The pod's berth.dev/network annotation: a user network's name, "none", or absent for the default. */
      network?: string;
    },
    options?: Abortable,
  ): Promise<{ ips: string[] }>;
  tearDown(request: { sandboxId: string; netnsPath: string; podName: string; podNamespace: string; podUid: string }, options?: Abortable): Promise<void>;
}

export interface SandboxFilesPort {
  /** Writes hosts/resolv.conf/hostname and mounts /dev/shm (unless host IPC) under `dir`. */
  prepare(dir: string, request: { hostname: string; ips: string[]; config: PodSandboxConfig__Output; hostIpc: boolean }, options?: Abortable): Promise<SandboxFiles>;
  /** Unmounts /dev/shm; idempotent. */
  release(dir: string, files: SandboxFiles, options?: Abortable): Promise<void>;
}

/**
 * The pod's cgroup, which holds the pod's containers: the cgroup_parent the client names, or,
 * when it names none, a cgroup of the pod's own below berth's shared default parent. The
 * pod-level limits (LinuxPodSandboxConfig resources + overhead) are written there, so the pod's
 * sum is bounded as in the kubelet's QoS layout (kubepods/burstable/pod<uid>), and never on a
 * parent other pods share. Its operations are a few file writes in cgroupfs and take no signal.
 */
export interface SandboxCgroupPort {
  /** Creates the cgroup and its missing ancestors, writes the pod's limits; returns its cgroup path. */
  create(cgroupParent: string, sandboxId: string, resources: SandboxResources): Promise<string>;
  /** New pod-level limits on a live pod (UpdatePodSandboxResources). */
  update(path: string, resources: SandboxResources): Promise<void>;
  /** Removes the cgroup; refuses while it holds processes or child cgroups. Absent: success. */
  remove(path: string): Promise<void>;
  /** The cgroup's counters; a part that cannot be read is left out. */
  usage(path: string): Promise<PodCgroupUsage>;
}

export interface PodCgroupUsage {
  stats: CgroupStats | undefined;
  oom: OomEvents | undefined;
}

export interface SandboxPorts {
  cgroups: SandboxCgroupPort;
  namespaces: NamespacePort;
  pidNamespaces: PidNamespacePort;
  network: NetworkPort;
  files: SandboxFilesPort;
  /** What a half-made sandbox left mounted under its dir, found and removed at start. */
  mounts: LeftoverMountsPort;
}
