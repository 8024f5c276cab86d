// What berth remembers about a pod sandbox, across restarts.
//
//   RunPodSandbox ──▶ ready ──StopPodSandbox──▶ notready ──RemovePodSandbox──▶ (gone)
//                       └───────────────RemovePodSandbox (stops first)──────────▶
//
// berth runs no pause container: the sandbox is its pinned namespaces, its files (hosts,
// resolv.conf, hostname, /dev/shm) and its network set-up.
import type { LinuxContainerResources__Output, PodSandboxConfig__Output } from '../../api/cri/messages.js';
import type { Entity } from '../state/entity-store.js';

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

/** Fixed when the sandbox is made: what it was asked to be and where its parts live. */
export interface SandboxMetadata {
  /** k8s_<pod>_<namespace>_<uid>_<attempt>: unique among live sandboxes. */
  name: string;
  /** Nanoseconds since the epoch, as a decimal string (CRI int64). */
  createdAt: string;
  /** The config as RunPodSandbox got it; never changed (what changes lives in the status). */
  config: PodSandboxConfig__Output;
  runtimeHandler: string;
  /** Per-sandbox directory under the state dir (files, pins, shm). */
  dir: string;
  hostNetwork: boolean;
  /** The pod's effective hostname: the requested one, else the node's. */
  hostname: string;
  files?: SandboxFiles;
  /** The pod's cgroup (cgroup layer path); absent in records from before berth kept one. */
  cgroupPath?: string;
  /** Whether the cgroup is this pod's own (…/pod<uid>) and goes with its last sandbox. */
  ownsCgroup?: boolean;
}

/** The pod-level limits: the containers' sum and the RuntimeClass overhead. */
export interface SandboxResources {
  resources: LinuxContainerResources__Output | null;
  overhead: LinuxContainerResources__Output | null;
}

/** What changes over the sandbox's life. */
export interface SandboxRecordStatus {
  state: SandboxState;
  namespaces: NamespacePins;
  ips: string[];
  /** Whether network set-up ran and must be torn down. */
  networkSetUp: boolean;
  /** The pod limits in force: the config's at create, then each UpdatePodSandboxResources'. */
  resources: SandboxResources;
  /** The labels now: the config's, and what berth's CLI set since (its rename). */
  labels: Record<string, string>;
}

export type SandboxRecord = Entity<SandboxMetadata, SandboxRecordStatus>;

/** Records written before the status kept resources and labels apart from the config. */
export function upgradeSandboxRecord(record: SandboxRecord): SandboxRecord {
  const older = record as Omit<SandboxRecord, 'resources' | 'labels'> & Partial<SandboxRecordStatus>;
  const linux = record.config.linux;
  return { ...record, resources: older.resources ?? { resources: linux?.resources ?? null, overhead: linux?.overhead ?? null }, labels: older.labels ?? record.config.labels };
}

export function sandboxName(config: PodSandboxConfig__Output): string {
  const m = config.metadata;
  return `k8s_${m?.name ?? ''}_${m?.namespace ?? ''}_${m?.uid ?? ''}_${m?.attempt ?? 0}`;
}

export function nowNanos(): string {
  return String(BigInt(Date.now()) * 1_000_000n);
}
