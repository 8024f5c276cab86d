// Containers: CreateContainer prepares a writable rootfs on the image's layers, builds the OCI
// spec and has conmon create the container with the OCI runtime; Start/Stop/Remove drive it;
// status comes from the record plus conmon's exit file. Adapters come in as ports.
import { mkdir, rm } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import type { ContainerConfig__Output, LinuxContainerResources__Output } from '../../api/cri/messages.js';
import type { CgroupStats, OomEvents } from '../cgroups/stats.js';
import { cleanupSignal, throwIfAborted, type Abortable } from '../../common/abort.js';
import { writeVolatileJsonAtomic } from '../../common/atomic-file.js';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { MountSpec, Mounter } from '../../common/linux/mounts.js';
import { readFileInRoot } from '../linux/read-in-root.js';
import type { ImageConfig } from '../images/oci-types.js';
import type { AttachSession } from '../oci/attach-socket.js';
import type { ExecStream } from '../oci/exec-stream.js';
import type { SandboxRecord } from '../sandbox/sandbox-record.js';
import { nowNanos } from '../sandbox/sandbox-record.js';
import { RecordStore } from '../state/record-store.js';
import { newId, resolveId } from '../state/ids.js';
import { NameReservations } from '../state/name-reservations.js';
import { ContainerEvents, type ContainerEventKind } from './container-events.js';
import { removeHalfMadeContainers } from './container-recovery.js';
import { containerName, containerRecordVersion, type ContainerRecord, type ContainerState } from './container-record.js';
import { CpuRate, type ContainerUsage, type WritableLayerUsage } from './container-usage.js';

export interface ResolvedImage {
  id: string;
  /** Reference for ContainerStatus.imageRef (repo digest or id). */
  ref: string;
  config: ImageConfig;
  /** Chain id of the top layer: the parent of the container's writable snapshot. */
  topChainId: string;
}

export interface ImagePort {
  /** Resolves a reference or id to a local image; NotFound when it is not pulled. */
  resolve(reference: string): Promise<ResolvedImage>;
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
}

export interface UsageOptions {
  /**
   * What the metrics RPCs need: the cgroup's counters with the OOM-kill and limit-hit counters,
   * and nothing else: no walk of the writable layer, and no CPU rate sample (a metrics scrape
   * between two stats calls would shrink the window the rate is measured over).
   */
  metrics?: boolean;
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
  /** Ids of the containers whose monitor has recorded an exit (cheap: one directory read). */
  exitedIds(): Promise<Set<string>>;
  /** Calls `onExit` soon after the monitor records an exit (a hint; may repeat or name unknown ids). Returns the stop function. */
  watchExits(onExit: (id: string) => void): () => void;
  /** The container's init process on the host. */
  pid(id: string): Promise<number | undefined>;
  /** Removes the runtime's state and the monitor's files. Idempotent. */
  delete(id: string, options?: Abortable): Promise<void>;
  execSync(id: string, command: string[], timeoutSeconds: number, options?: Abortable): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }>;
  /** A command with live stdio (the streaming server's exec). */
  execStream(id: string, command: string[], options: { tty: boolean; stdin: boolean }): Promise<ExecStream>;
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

/** Undoes one step of a create; gets a signal of its own (the request's may be what failed it). */
type Undo = (signal: AbortSignal) => Promise<void>;

function validate(config: ContainerConfig__Output | null, sandbox: SandboxRecord): ContainerConfig__Output {
  if (!config) throw new InvalidArgumentError('CreateContainer needs a config');
  const name = config.metadata?.name;
  if (!name) throw new InvalidArgumentError('container metadata needs a name');
  if (name.length > 253 || /[\s/\\_]|\.\./.test(name)) {
    throw new InvalidArgumentError(`container name ${JSON.stringify(name)} may not contain "/", "_", "..", or whitespace`);
  }
  if (!config.image?.image) throw new InvalidArgumentError(`container ${name} needs an image`);
  if (config.logPath) {
    if (!sandbox.config.logDirectory) {
      throw new InvalidArgumentError(`container ${name} has log path ${config.logPath} but its pod sandbox has no log directory`);
    }
    if (isAbsolute(config.logPath) || normalize(config.logPath).startsWith('..')) {
      throw new InvalidArgumentError(`container log path ${JSON.stringify(config.logPath)} must be relative to the pod's log directory and stay inside it`);
    }
  }
  return config;
}

/** How often ListContainers looks at every running container, not only at new exit files. */
const fullLookIntervalMs = 5_000;

// Wall-clock nanoseconds from the monotonic clock: precise, and never going backwards between looks.
const epochNanosAtStart = BigInt(Date.now()) * 1_000_000n;
const hrtimeAtEpoch = process.hrtime.bigint();

/** Largest /etc/passwd or /etc/group read from an image (a directory-synced one is a few MiB at most). */
const maxEtcFileBytes = 4 * 1024 * 1024;

/** An /etc file of the image, read inside the container's rootfs (the image decides what is there). */
async function readImageEtcFile(rootfs: string, path: string, image: ResolvedImage): Promise<string | undefined> {
  const bytes = await readFileInRoot(rootfs, path, { maxBytes: maxEtcFileBytes, rootName: `image ${image.ref}` });
  return bytes?.toString('utf8');
}

export class ContainerManager {
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Names whose CreateContainer is in flight: a duplicate waits for it and gets its container, never a second. */
  private readonly creating = new NameReservations('container');
  private readonly cpuRate = new CpuRate();
  private lastFullLook = 0;
  /** Lifecycle events for GetContainerEvents. */
  readonly events = new ContainerEvents();
  private readonly toldStates = new Map<string, ContainerState>();
  private stopWatchingExits: () => void = () => undefined;

  private constructor(
    private readonly records: RecordStore<ContainerRecord>,
    private readonly containersDir: string,
    private readonly ports: ContainerPorts,
    private readonly logger: Logger,
  ) {}

  static async open(options: { rootDir: string; stateDir: string; ports: ContainerPorts; logger: Logger }): Promise<ContainerManager> {
    const records = await RecordStore.open<ContainerRecord>({
      dir: join(options.rootDir, 'containers'),
      kind: 'container',
      version: containerRecordVersion,
      logger: options.logger,
    });
    const containersDir = join(options.stateDir, 'containers');
    await mkdir(containersDir, { recursive: true, mode: 0o700 });
    const manager = new ContainerManager(records, containersDir, options.ports, options.logger);
    await manager.reconcile();
    manager.stopWatchingExits = options.ports.monitor.watchExits((id) => manager.exitHint(id));
    return manager;
  }

  close(): void {
    this.stopWatchingExits();
  }

  /** An exit file appeared: record the exit now (which emits the stopped event), not at the next list. */
  private exitHint(id: string): void {
    if (this.records.get(id)?.state !== 'running') return;
    this.refresh(id).catch((error: unknown) => this.logger.debug({ containerId: id, err: errorMessage(error) }, 'recording an exit failed; the next list will'));
  }

  /**
   * Writes the record and tells subscribers when its state changed. The last state told is kept
   * apart from the records and updated before the write, so two looks recording the same exit at
   * once (a list and the exit watcher) tell it once.
   */
  private async save(record: ContainerRecord): Promise<void> {
    const told = this.toldStates.get(record.id) ?? this.records.get(record.id)?.state;
    this.toldStates.set(record.id, record.state);
    await this.records.put(record);
    if (told === record.state) return;
    const kinds: Record<ContainerState, ContainerEventKind> = { created: 'created', running: 'started', exited: 'stopped' };
    this.emit(kinds[record.state], record);
  }

  private emit(kind: ContainerEventKind, record: ContainerRecord): void {
    this.events.emit({ kind, containerId: record.id, sandboxId: record.sandboxId, at: nowNanos() });
  }

  /**
   * After a restart: containers kept running under conmon while berth was away; the ones that
   * exited meanwhile left their exit code in conmon's exit file. Records catch up with both.
   * Containers whose CreateContainer was cut short go first (container-recovery.ts).
   */
  private async reconcile(): Promise<void> {
    await removeHalfMadeContainers({ containersDir: this.containersDir, isRecorded: (id) => this.records.get(id) !== undefined, ports: this.ports, logger: this.logger });
    for (const record of this.records.list()) {
      if (record.state === 'exited') continue;
      const exit = await this.ports.monitor.exitStatus(record.id).catch(() => undefined);
      if (!exit) continue;
      const reason = exit.reason ?? (exit.exitCode === 0 ? 'Completed' : 'Error');
      await this.save({ ...record, state: 'exited', exitCode: exit.exitCode, finishedAt: exit.finishedAt, reason, message: exit.message ?? '' });
      this.logger.info({ containerId: record.id, was: record.state, exitCode: exit.exitCode }, 'container exited while berth was away');
    }
  }

  private async exclusive<T>(id: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(operation);
    this.locks.set(id, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(id) === next) this.locks.delete(id);
    }
  }

  get(idOrPrefix: string): ContainerRecord {
    const id = resolveId(
      'container',
      idOrPrefix,
      this.records.list().map((r) => r.id),
    );
    const record = this.records.get(id);
    if (!record) throw new NotFoundError(`container ${id} not found`);
    return record;
  }

  /**
   * Every container, with exits that happened since the last look recorded. conmon writes an
   * exit file for every exit it sees, so one directory read finds them; only a container whose
   * conmon died first has none, and the full per-container look that finds those runs at most
   * every few seconds, keeping ListContainers cheap on a full node (the kubelet polls it).
   */
  async list(): Promise<ContainerRecord[]> {
    const running = this.records.list().filter((r) => r.state === 'running');
    const now = Date.now();
    let changed: ContainerRecord[];
    if (now - this.lastFullLook >= fullLookIntervalMs) {
      this.lastFullLook = now;
      changed = running;
    } else {
      const exited = await this.ports.monitor.exitedIds();
      changed = running.filter((r) => exited.has(r.id));
    }
    await Promise.all(changed.map((r) => this.refresh(r.id)));
    return this.records.list();
  }

  /** Records an exit conmon has seen; returns the current record. */
  async refresh(id: string): Promise<ContainerRecord> {
    const record = this.records.get(id);
    if (!record) throw new NotFoundError(`container ${id} not found`);
    if (record.state !== 'running') return record;
    const exit = await this.ports.monitor.exitStatus(id);
    if (!exit) return record;
    const exited: ContainerRecord = {
      ...record,
      state: 'exited',
      exitCode: exit.exitCode,
      finishedAt: exit.finishedAt,
      reason: (await this.oomKilled(record, exit.exitCode)) ? 'OOMKilled' : (exit.reason ?? (exit.exitCode === 0 ? 'Completed' : 'Error')),
      message: exit.message ?? '',
    };
    await this.save(exited);
    return exited;
  }

  /**
   * Whether the kernel's OOM killer ended the container: it was SIGKILLed (137) and its cgroup,
   * still there until the OCI runtime deletes the container, counted an OOM kill.
   */
  private async oomKilled(record: ContainerRecord, exitCode: number): Promise<boolean> {
    if (exitCode !== 137 || !record.cgroupPath) return false;
    try {
      return (await this.ports.cgroups.oomEvents(record.cgroupPath)).oomKills > 0;
    } catch (error) {
      this.logger.debug({ containerId: record.id, err: error }, 'cannot read the OOM-kill counter');
      return false;
    }
  }

  /**
   * Counters for the stats RPCs; a part that cannot be read (cgroup gone) is left out. The OOM
   * counters only when asked (the metrics RPCs): two more reads per container a stats list does
   * not need.
   */
  async usage(idOrPrefix: string, options: UsageOptions = {}): Promise<ContainerUsage> {
    const record = this.get(idOrPrefix);
    const timestampNanos = process.hrtime.bigint() - hrtimeAtEpoch + epochNanosAtStart;
    const path = record.cgroupPath;
    const metrics = options.metrics ?? false;
    const [cgroup, oom, writableLayer] = await Promise.all([
      path ? this.ports.cgroups.stats(path).catch(() => undefined) : undefined,
      path && metrics ? this.ports.cgroups.oomEvents(path).catch(() => undefined) : undefined,
      metrics ? undefined : this.ports.snapshots.usage(record.id).catch(() => undefined),
    ]);
    return {
      timestampNanos,
      cgroup,
      oom,
      usageNanoCores: metrics ? undefined : this.cpuRate.sample(record.id, cgroup?.cpu?.usageNanos, timestampNanos),
      writableLayer,
    };
  }

  /** The host pid of a running container's init process (for reading its namespaces). */
  async pid(idOrPrefix: string): Promise<number | undefined> {
    const record = this.get(idOrPrefix);
    return record.state === 'running' ? this.ports.monitor.pid(record.id) : undefined;
  }

  /** UpdateContainerResources: new limits on the running container's cgroup, kept in its record. */
  async updateResources(idOrPrefix: string, resources: LinuxContainerResources__Output | null): Promise<void> {
    if (!resources) throw new InvalidArgumentError('UpdateContainerResources needs linux resources');
    const { id } = this.get(idOrPrefix);
    await this.exclusive(id, async () => {
      const record = await this.refresh(id);
      if (record.state === 'exited') throw new FailedPreconditionError(`container ${id} has exited; its resources cannot change`);
      if (!record.cgroupPath) throw new FailedPreconditionError(`container ${id} was created before berth tracked its cgroup; recreate it`);
      await this.ports.cgroups.update(record.cgroupPath, resources);
      const linux = { ...(record.config.linux ?? {}), resources } as ContainerConfig__Output['linux'];
      await this.records.put({ ...record, config: { ...record.config, linux } });
    });
  }

  /**
   * Creates the container, each step under `signal`: an abort kills the step's program and
   * fails the create, and the steps done so far are undone as after any failure.
   */
  async create(sandbox: SandboxRecord, requested: ContainerConfig__Output | null, options: Abortable = {}): Promise<ContainerRecord> {
    if (sandbox.state !== 'ready') {
      throw new FailedPreconditionError(`pod sandbox ${sandbox.id} is not ready; cannot create containers in it`);
    }
    const config = validate(requested, sandbox);
    const name = containerName(config, sandbox.name);
    // A retried CreateContainer gets the container it already created.
    const existing = this.records.list().find((r) => r.name === name && r.sandboxId === sandbox.id);
    if (existing) return existing;

    const imageReference = config.image?.image ?? '';
    const id = newId();
    const { signal } = options;
    const checkpoint = (): void => throwIfAborted(signal, `CreateContainer of ${name} (${id})`);
    return this.creating.hold(
      name,
      id,
      () =>
        this.exclusive(id, async () => {
          checkpoint();
          const image = await this.ports.images.resolve(imageReference);
          const undo: Undo[] = [];
          const bundleDir = join(this.containersDir, id);
          const rootfs = join(bundleDir, 'rootfs');
          try {
            await mkdir(rootfs, { recursive: true, mode: 0o700 });
            undo.push(() => rm(bundleDir, { recursive: true, force: true }));

            const mounts = await this.ports.snapshots.prepare(id, image.topChainId);
            undo.push(() => this.ports.snapshots.remove(id));
            undo.push((cleanup) => this.ports.mounter.unmount(rootfs, { detach: true, signal: cleanup }));
            for (const mount of mounts) {
              if (mount.type === 'bind') await this.ports.mounter.bind(mount.source, rootfs, mount.options, { signal });
              else await this.ports.mounter.mount(mount, rootfs, { signal });
            }
            checkpoint();

            const { spec, warnings, stopSignal } = await this.ports.spec.build({
              container: config,
              sandbox,
              image,
              containerId: id,
              rootfs,
              passwd: await readImageEtcFile(rootfs, '/etc/passwd', image),
              group: await readImageEtcFile(rootfs, '/etc/group', image),
            });
            for (const warning of warnings) this.logger.warn({ containerId: id }, warning);
            await writeVolatileJsonAtomic(join(bundleDir, 'config.json'), spec);

            const logPath = config.logPath ? join(sandbox.config.logDirectory, config.logPath) : '';
            if (logPath) await mkdir(join(logPath, '..'), { recursive: true, mode: 0o755 });
            await this.ports.monitor.create({ id, bundleDir, logPath, terminal: config.tty, stdin: config.stdin }, { signal });
            undo.push((cleanup) => this.ports.monitor.delete(id, { signal: cleanup }));

            const record: ContainerRecord = {
              version: containerRecordVersion,
              id,
              sandboxId: sandbox.id,
              name,
              state: 'created',
              createdAt: nowNanos(),
              startedAt: '0',
              finishedAt: '0',
              exitCode: 0,
              reason: '',
              message: '',
              config,
              image: { requested: imageReference, id: image.id, ref: image.ref },
              logPath,
              bundleDir,
              stopSignal: stopSignal ?? 'SIGTERM',
              cgroupPath: this.ports.cgroups.pathFor(sandbox, id),
            };
            // The last point where an abort counts: from the record on, the container exists.
            checkpoint();
            await this.save(record);
            this.logger.info({ containerId: id, podSandboxId: sandbox.id, name }, 'container created');
            return record;
          } catch (error) {
            const cleanupErrors: string[] = [];
            for (const step of undo.reverse()) {
              await step(cleanupSignal()).catch((cleanupError: unknown) => cleanupErrors.push(errorMessage(cleanupError)));
            }
            if (cleanupErrors.length > 0) this.logger.error({ containerId: id, cleanupErrors }, 'cleaning up a failed CreateContainer failed too');
            throw error;
          }
        }),
      options,
    );
  }

  async start(idOrPrefix: string, options: Abortable = {}): Promise<void> {
    const { id } = this.get(idOrPrefix);
    await this.exclusive(id, async () => {
      const record = this.get(id);
      if (record.state !== 'created') {
        throw new FailedPreconditionError(`container ${id} is ${record.state}; only a created container can be started`);
      }
      await this.ports.monitor.start(id, options);
      await this.save({ ...record, state: 'running', startedAt: nowNanos() });
    });
  }

  /** Idempotent: stopping an exited or unknown container succeeds. */
  async stop(idOrPrefix: string, timeoutSeconds: number, options: Abortable = {}): Promise<void> {
    let id: string;
    try {
      id = this.get(idOrPrefix).id;
    } catch (error) {
      if ((error as { code?: string }).code === 'NOT_FOUND') return;
      throw error;
    }
    await this.exclusive(id, async () => {
      // Removed meanwhile (a concurrent remove of it or its pod): stopping what is not there succeeds.
      if (!this.records.get(id)) return;
      const record = await this.refresh(id);
      if (record.state === 'exited') return;
      if (record.state === 'created') {
        // Never started: nothing ran, so it ends without an exit code of its own.
        await this.ports.monitor.stop(id, 0, 'SIGKILL', options);
        await this.save({ ...record, state: 'exited', finishedAt: nowNanos(), exitCode: 0, reason: 'Stopped' });
        return;
      }
      await this.ports.monitor.stop(id, Math.max(0, timeoutSeconds), record.stopSignal, options);
      await this.refresh(id);
    });
  }

  /** docker kill: one signal to a running container's init; what follows is the process's own business. */
  async kill(idOrPrefix: string, signal: string, options: Abortable = {}): Promise<void> {
    const { id } = this.get(idOrPrefix);
    await this.exclusive(id, async () => {
      const record = await this.refresh(id);
      if (record.state !== 'running') throw new FailedPreconditionError(`container ${id} is ${record.state}; only a running container can be sent a signal`);
      await this.ports.monitor.kill(id, signal, options);
    });
  }

  /**
   * Sets one label of the container (berth's CLI keeps its name there), on a copy written before
   * it replaces the record in memory. Labels are the one part of the config that may change.
   */
  async setLabel(idOrPrefix: string, key: string, value: string): Promise<ContainerRecord> {
    const { id } = this.get(idOrPrefix);
    return this.exclusive(id, async () => {
      const record = this.records.get(id);
      if (!record) throw new NotFoundError(`container ${id} was removed meanwhile`);
      const updated = { ...record, config: { ...record.config, labels: { ...record.config.labels, [key]: value } } };
      await this.records.put(updated);
      return updated;
    });
  }

  /** Kills if needed and forgets the container; removing an unknown container succeeds (CRI). */
  async remove(idOrPrefix: string, options: Abortable = {}): Promise<void> {
    let id: string;
    try {
      id = this.get(idOrPrefix).id;
    } catch (error) {
      if ((error as { code?: string }).code === 'NOT_FOUND') return;
      throw error;
    }
    await this.stop(id, 0, options);
    await this.exclusive(id, async () => {
      const record = this.records.get(id);
      if (!record) return;
      await this.ports.monitor.delete(id, options);
      await this.ports.mounter.unmount(join(record.bundleDir, 'rootfs'), { detach: true, signal: options.signal });
      await this.ports.snapshots.remove(id);
      await rm(record.bundleDir, { recursive: true, force: true });
      await this.records.delete(id);
      this.toldStates.delete(id);
      this.emit('deleted', record);
      this.cpuRate.forget(id);
      this.logger.info({ containerId: id }, 'container removed');
    });
  }

  inSandbox(sandboxId: string): ContainerRecord[] {
    return this.records.list().filter((r) => r.sandboxId === sandboxId);
  }

  async execSync(idOrPrefix: string, command: string[], timeoutSeconds: number, options: Abortable = {}): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }> {
    const record = await this.refresh(this.get(idOrPrefix).id);
    if (record.state !== 'running') throw new FailedPreconditionError(`container ${record.id} is ${record.state}; exec needs a running container`);
    if (command.length === 0) throw new InvalidArgumentError('exec needs a command');
    return this.ports.monitor.execSync(record.id, command, timeoutSeconds, options);
  }

  async execStream(idOrPrefix: string, command: string[], options: { tty: boolean; stdin: boolean }): Promise<ExecStream> {
    const record = await this.refresh(this.get(idOrPrefix).id);
    if (record.state !== 'running') throw new FailedPreconditionError(`container ${record.id} is ${record.state}; exec needs a running container`);
    if (command.length === 0) throw new InvalidArgumentError('exec needs a command');
    return this.ports.monitor.execStream(record.id, command, options);
  }

  async attach(idOrPrefix: string, options: { stdin: boolean; tty: boolean }): Promise<AttachSession> {
    const record = await this.refresh(this.get(idOrPrefix).id);
    if (record.state !== 'running') throw new FailedPreconditionError(`container ${record.id} is ${record.state}; attach needs a running container`);
    if (options.stdin && !record.config.stdin) throw new FailedPreconditionError(`container ${record.id} was created without stdin: attach without -i, or create it with stdin`);
    if (options.tty !== record.config.tty) {
      throw new FailedPreconditionError(`container ${record.id} ${record.config.tty ? 'has' : 'has no'} terminal: attach ${record.config.tty ? 'with' : 'without'} tty`);
    }
    return this.ports.monitor.attach(record.id, { stdin: options.stdin, tty: options.tty });
  }

  async reopenLog(idOrPrefix: string, options: Abortable = {}): Promise<void> {
    const record = await this.refresh(this.get(idOrPrefix).id);
    if (record.state !== 'running') throw new FailedPreconditionError(`container ${record.id} is not running; its log cannot be reopened`);
    await this.ports.monitor.reopenLog(record.id, options);
  }
}
