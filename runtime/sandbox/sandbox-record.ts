// What berth remembers about a pod sandbox, across restarts.
//
//   RunPodSandbox ──▶ ready ──StopPodSandbox──▶ notready ──RemovePodSandbox──▶ (gone)
//                       └───────────────RemovePodSandbox (stops first)──────────▶
//
// berth runs no pause container: the sandbox is its pinned namespaces, its files (hosts,
// resolv.conf, hostname, /dev/shm) and its network set-up.
import type { PodSandboxConfig__Output } from '../../api/cri/messages.js';
import type { VersionedRecord } from '../state/record-store.js';

export const sandboxRecordVersion = 1;

export type SandboxState = 'ready' | 'notready';

export interface NamespacePins {
  network?: string;
  ipc?: string;
  uts?: string;
  /** A pid namespace shared by the pod's containers (NamespaceMode POD). */
  pid?: string;
  /** The process holding `pid` alive (its pid 1). */
  pidHolder?: number;
}

export interface SandboxFiles {
  hostsPath: string;
  resolvConfPath: string;
  hostnamePath: string;
  /** Absent with host IPC: containers then use the host's /dev/shm. */
  shmPath?: string;
}

export interface SandboxRecord extends VersionedRecord {
  version: typeof sandboxRecordVersion;
  /** k8s_<pod>_<namespace>_<uid>_<attempt>: unique among live sandboxes. */
  name: string;
  state: SandboxState;
  /** Nanoseconds since the epoch, as a decimal string (CRI int64). */
  createdAt: string;
  config: PodSandboxConfig__Output;
  runtimeHandler: string;
  /** Per-sandbox directory under the state dir (files, pins, shm). */
  dir: string;
  namespaces: NamespacePins;
  hostNetwork: boolean;
  /** The pod's effective hostname: the requested one, else the node's. */
  hostname: string;
  ips: string[];
  files?: SandboxFiles;
  /** Whether network set-up ran and must be torn down. */
  networkSetUp: boolean;
  /** The pod's cgroup (cgroup layer path); absent in records from before berth kept one. */
  cgroupPath?: string;
  /** Whether the cgroup is this pod's own (…/pod<uid>) and goes with its last sandbox. */
  ownsCgroup?: boolean;
}

export function sandboxName(config: PodSandboxConfig__Output): string {
  const m = config.metadata;
  return `k8s_${m?.name ?? ''}_${m?.namespace ?? ''}_${m?.uid ?? ''}_${m?.attempt ?? 0}`;
}

export function nowNanos(): string {
  return String(BigInt(Date.now()) * 1_000_000n);
}
