// What berth remembers about a container, across restarts.
//
//   CreateContainer ──▶ created ──StartContainer──▶ running ──(exit | StopContainer)──▶ exited
//        RemoveContainer from any state (a running container is killed first) ──▶ (gone)
//
// The process itself lives under conmon, not under berth: after a berth restart the record is
// reconciled with conmon's exit file and the OCI runtime's state.
import type { ContainerConfig__Output, LinuxContainerResources__Output } from '../../api/cri/messages.js';
import type { Entity } from '../state/entity-store.js';

export const containerRecordVersion = 1;

export type ContainerState = 'created' | 'running' | 'exited';

export interface ContainerImageRef {
  /** What the CRI request asked for (e.g. "busybox"). */
  requested: string;
  /** The image id (config digest). */
  id: string;
  /** The reference status reports as imageRef: a repo digest when known, else the id. */
  ref: string;
}

/** Fixed when the container is created: what it was asked to be and where its parts live. */
export interface ContainerMetadata {
  sandboxId: string;
  /** k8s_<container>_<pod>_<namespace>_<uid>_<attempt>: unique among live containers. */
  name: string;
  createdAt: string;
  /** The config as CreateContainer got it; never changed (what changes lives in the status). */
  config: ContainerConfig__Output;
  image: ContainerImageRef;
  /** Absolute CRI log path ('' when the kubelet asked for none). */
  logPath: string;
  bundleDir: string;
  /** Signal StopContainer sends first: the CRI's, else the image's STOPSIGNAL, else SIGTERM. */
  stopSignal: string;
  /** The cgroup-layer path of the container's cgroup (absent in records from before it was kept). */
  cgroupPath?: string;
}

/** What changes over the container's life. */
export interface ContainerRecordStatus {
  state: ContainerState;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  reason: string;
  message: string;
  /** The limits in force: the config's at create, then each UpdateContainerResources'. */
  resources: LinuxContainerResources__Output | null;
  /** The labels now: the config's, and what berth's CLI set since (its rename). */
  labels: Record<string, string>;
}

export type ContainerRecord = Entity<ContainerMetadata, ContainerRecordStatus>;

/** Records written before the status kept resources and labels apart from the config. */
export function upgradeContainerRecord(record: ContainerRecord): ContainerRecord {
  const older = record as Omit<ContainerRecord, 'resources' | 'labels'> & Partial<ContainerRecordStatus>;
  return { ...record, resources: older.resources ?? record.config.linux?.resources ?? null, labels: older.labels ?? record.config.labels };
}

export function containerName(config: ContainerConfig__Output, sandboxName: string): string {
  // sandboxName is k8s_<pod>_<ns>_<uid>_<attempt>; the container name slots in after k8s_.
  const rest = sandboxName.replace(/^k8s_/, '');
  return `k8s_${config.metadata?.name ?? ''}_${rest}_${config.metadata?.attempt ?? 0}`;
}
