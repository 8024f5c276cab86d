// What the container manager asks of the world, as ports: images, snapshots, the spec builder,
// the monitor and OCI runtime, mounts and the container's cgroup. The adapters are wired in
// runtime/wiring.ts; unit tests pass recorders.
import type { ContainerConfig__Output, LinuxContainerResources__Output } from '../../api/cri/messages.js';
import type { Abortable } from '../../common/abort.js';
import type { MountSpec, Mounter } from '../../common/linux/mounts.js';
import type { CgroupStats, OomEvents } from '../cgroups/stats.js';
import type { ImageConfig } from '../images/oci-types.js';
import type { AttachSession } from '../oci/attach-socket.js';
import type { ExecStream } from '../oci/exec-stream.js';
import type { SandboxRecord } from '../sandbox/sandbox-record.js';
import type { WritableLayerUsage } from './container-usage.js';

export interface ResolvedImage {
  id: string;
  /** Reference for ContainerStatus.imageRef (repo digest or id). */
  ref: string;
  config: ImageConfig;
  /** Chain id of the top layer: the parent of the container's writable snapshot. */
  topChainId: string;
}

export interface ImagePort {
  /** Resolves a reference or id to a local image, its layers unpacked; NotFound when it is not pulled. */
  resolve(reference: string, options?: Abortable): Promise<ResolvedImage>;
}

export interface SnapshotPort {
  /** A writable snapshot on top of `parentChainId`, returned as mounts for the caller to apply. */
  prepare(key: string, parentChainId: string): Promise<MountSpec[]>;
  remove(key: string): Promise<void>;
  /** Bytes and inodes of the snapshot's own (writable) tree. */
  usage(key: string): Promise<WritableLayerUsage>;
  /** The writable tree's directory and the image's layer directories below it, top to bottom. */
  layers(key: string): Promise<{ upper: string; lowers: string[] }>;
}

/**
 * The container's cgroup as the cgroup layer sees it. The OCI runtime creates and removes it
 * (from the spec's cgroupsPath, which the spec port derives from the same placement); berth reads
 * it for stats and OOM kills, and writes it for live resource updates.
 */
export interface ContainerCgroupPort {
  /** The cgroup-layer path of a container in `sandbox` (below the pod's cgroup). */
  pathFor(sandbox: Pick<SandboxRecord, 'config' | 'cgroupPath'>, containerId: string): string;
  stats(path: string): Promise<CgroupStats>;
  /** Processes the kernel OOM-killed in the cgroup so far, and how often it hit its limit. */
  oomEvents(path: string): Promise<OomEvents>;
  /** Changes limits of a live cgroup; fields left out keep their value. */
  update(path: string, resources: LinuxContainerResources__Output): Promise<void>;
  /**
   * Removes the cgroup of a create that failed: a runtime killed mid-create (an aborted call)
   * made the cgroup but never wrote the state its own delete needs, and the pod's cgroup cannot
   * go while a child is left. Absent is fine.
   */
  remove(path: string): Promise<void>;
}

export interface SpecInput {
  container: ContainerConfig__Output;
  sandbox: SandboxRecord;
  image: ResolvedImage;
  containerId: string;
  rootfs: string;
  passwd: string | undefined;
  group: string | undefined;
}

export interface SpecPort {
  /** Builds config.json; returns the spec and warnings to log (e.g. a clamped oom_score_adj). */
  build(input: SpecInput): Promise<{ spec: object; warnings: string[]; stopSignal?: string }>;
}

export interface ExitStatus {
  exitCode: number;
  /** Nanoseconds since the epoch. */
  finishedAt: string;
  reason?: string;
  message?: string;
}

/**
 * The container's monitor and OCI runtime. Every operation that runs a program or waits on one
 * takes `{ signal }`: an abort kills the program and rejects with DeadlineExceeded or Cancelled.
 */
export interface ExecStreamOptions extends Abortable {
  tty: boolean;
  stdin: boolean;
}

export interface MonitorPort {
  /** Creates the container under its monitor (not started); resolves once the runtime has created it. */
  create(request: { id: string; bundleDir: string; logPath: string; terminal: boolean; stdin: boolean }, options?: Abortable): Promise<void>;
  start(id: string, options?: Abortable): Promise<void>;
  /** Sends `signal` to the container's init process, once; resolves when it is sent. */
  kill(id: string, signal: string, options?: Abortable): Promise<void>;
  /** `stopSignal`, wait up to `timeoutSeconds`, then SIGKILL; resolves when exited. Idempotent. */
  stop(id: string, timeoutSeconds: number, stopSignal: string, options?: Abortable): Promise<void>;
  /** The exit status once the container has exited, else undefined. */
  exitStatus(id: string): Promise<ExitStatus | undefined>;
  /** The exit status the monitor recorded, else undefined; unlike exitStatus, a monitor that died without recording one is not looked for (cheap: one file read). */
  recordedExit(id: string): Promise<ExitStatus | undefined>;
  /** Ids of the containers whose monitor has recorded an exit (cheap: one directory read). */
  exitedIds(): Promise<Set<string>>;
  /** Calls `onExit` soon after the monitor records an exit (a hint; may repeat or name unknown ids). Returns the stop function. */
  watchExits(onExit: (id: string) => void): () => void;
  /** The container's init process on the host. */
  pid(id: string): Promise<number | undefined>;
  /** Removes the runtime's state and the monitor's files. Idempotent. */
  delete(id: string, options?: Abortable): Promise<void>;
  execSync(id: string, command: string[], timeoutSeconds: number, options?: Abortable): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }>;
  /** A command with live stdio (the streaming server's exec); killed when `signal` aborts before it exits. */
  execStream(id: string, command: string[], options: ExecStreamOptions): Promise<ExecStream>;
  /** The container's own stdio, through its monitor (the streaming server's attach). */
  attach(id: string, options: { stdin: boolean; tty: boolean }): Promise<AttachSession>;
  reopenLog(id: string, options?: Abortable): Promise<void>;
}

export interface ContainerPorts {
  images: ImagePort;
  snapshots: SnapshotPort;
  spec: SpecPort;
  monitor: MonitorPort;
  mounter: Mounter;
  cgroups: ContainerCgroupPort;
}
