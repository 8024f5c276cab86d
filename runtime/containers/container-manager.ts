// Containers: CreateContainer prepares a writable rootfs on the image's layers, builds the OCI
// spec and has conmon create the container with the OCI runtime; Start/Stop/Remove drive it;
// status comes from the record plus conmon's exit file. The records, the per-container
// sections, the name reservation and the undo of a half-done create are the entity store's
// (state/entity-store.ts); this file is the steps. The adapters come in as ports
// (container-ports.ts).
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerConfig__Output, LinuxContainerResources__Output } from '../../api/cri/messages.js';
import type { Abortable } from '../../common/abort.js';
import { writeVolatileJsonAtomic } from '../../common/atomic-file.js';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { readFileInRoot } from '../linux/read-in-root.js';
import type { AttachSession } from '../oci/attach-socket.js';
import type { ExecStream } from '../oci/exec-stream.js';
import type { SandboxRecord } from '../sandbox/sandbox-record.js';
import { nowNanos } from '../sandbox/sandbox-record.js';
import { EntityStore, type CreateTransaction } from '../state/entity-store.js';
import { validContainerConfig } from './container-config.js';
import { ContainerEvents, type ContainerEventKind } from './container-events.js';
import type { ContainerPorts, ExecStreamOptions, ResolvedImage } from './container-ports.js';
import { removeHalfMadeContainers } from './container-recovery.js';
import { containerName, containerRecordVersion, upgradeContainerRecord, type ContainerMetadata, type ContainerRecord, type ContainerRecordStatus, type ContainerState } from './container-record.js';
import { UsageReader, type ContainerUsage, type UsageOptions } from './container-usage.js';

/** How often ListContainers looks at every running container, not only at new exit files. */
const fullLookIntervalMs = 5_000;

/** Largest /etc/passwd or /etc/group read from an image (a directory-synced one is a few MiB at most). */
const maxEtcFileBytes = 4 * 1024 * 1024;

/** An /etc file of the image, read inside the container's rootfs (the image decides what is there). */
async function readImageEtcFile(rootfs: string, path: string, image: ResolvedImage): Promise<string | undefined> {
  const bytes = await readFileInRoot(rootfs, path, { maxBytes: maxEtcFileBytes, rootName: `image ${image.ref}` });
  return bytes?.toString('utf8');
}

const eventOfState: Record<ContainerState, ContainerEventKind> = { created: 'created', running: 'started', exited: 'stopped' };

export class ContainerManager {
  private lastFullLook = 0;
  /** The full look at every running container's monitor while it runs (list()). */
  private fullLook: Promise<void> | undefined;
  /** When ContainerStatus last looked for a running container's conmon, by record: an updated record (a new object) or a removed one starts afresh. */
  private readonly monitorLookedAt = new WeakMap<ContainerRecord, number>();
  private stopWatchingExits: () => void = () => undefined;

  private constructor(
    private readonly store: EntityStore<ContainerMetadata, ContainerRecordStatus>,
    /** Lifecycle events for GetContainerEvents: one per committed change of state. */
    readonly events: ContainerEvents,
    private readonly containersDir: string,
    private readonly ports: ContainerPorts,
    private readonly logger: Logger,
    private readonly usageReader = new UsageReader(ports),
  ) {}

  static async open(options: { rootDir: string; stateDir: string; ports: ContainerPorts; logger: Logger }): Promise<ContainerManager> {
    const events = new ContainerEvents();
    const emit = (kind: ContainerEventKind, record: ContainerRecord): void => events.emit({ kind, containerId: record.id, sandboxId: record.sandboxId, at: nowNanos() });
    const store = await EntityStore.open<ContainerMetadata, ContainerRecordStatus>({
      dir: join(options.rootDir, 'containers'),
      kind: 'container',
      idField: 'containerId',
      version: containerRecordVersion,
      logger: options.logger,
      upgrade: upgradeContainerRecord,
      onCommit: (before, after) => {
        if (!after) return before && emit('deleted', before);
        if (before?.state !== after.state) emit(eventOfState[after.state], after);
      },
    });
    const containersDir = join(options.stateDir, 'containers');
    await mkdir(containersDir, { recursive: true, mode: 0o700 });
    const manager = new ContainerManager(store, events, containersDir, options.ports, options.logger);
    await manager.reconcile();
    manager.stopWatchingExits = options.ports.monitor.watchExits((id) => manager.exitHint(id));
    return manager;
  }

  close(): void {
    this.stopWatchingExits();
  }

  /** An exit file appeared: record the exit now (which emits the stopped event), not at the next list. */
  private exitHint(id: string): void {
    if (this.store.find(id)?.state !== 'running') return;
    this.refresh(id).catch((error: unknown) => this.logger.debug({ containerId: id, err: errorMessage(error) }, 'recording an exit failed; the next list will'));
  }

  /**
   * After a restart: containers kept running under conmon while berth was away; the ones that
   * exited meanwhile left their exit code in conmon's exit file. Records catch up with both.
   * Containers whose CreateContainer was cut short go first (container-recovery.ts).
   */
  private async reconcile(): Promise<void> {
    await removeHalfMadeContainers({ containersDir: this.containersDir, isRecorded: (id) => this.store.find(id) !== undefined, ports: this.ports, logger: this.logger });
    for (const record of this.store.list()) {
      if (record.state === 'exited') continue;
      const exit = await this.ports.monitor.exitStatus(record.id).catch(() => undefined);
      if (!exit) continue;
      const reason = exit.reason ?? (exit.exitCode === 0 ? 'Completed' : 'Error');
      await this.store.update(record.id, () => ({ state: 'exited', exitCode: exit.exitCode, finishedAt: exit.finishedAt, reason, message: exit.message ?? '' }));
      this.logger.info({ containerId: record.id, was: record.state, exitCode: exit.exitCode }, 'container exited while berth was away');
    }
  }

  /** The container an id or unique prefix names; undefined when none. */
  find(idOrPrefix: string): ContainerRecord | undefined {
    return this.store.find(idOrPrefix);
  }

  /** The container an id or unique prefix names; NotFound when none. */
  get(idOrPrefix: string): ContainerRecord {
    return this.store.get(idOrPrefix);
  }

  inSandbox(sandboxId: string): ContainerRecord[] {
    return this.store.list().filter((r) => r.sandboxId === sandboxId);
  }

  /**
   * Every container, with exits that happened since the last look recorded. conmon writes an
   * exit file for every exit it sees, so one directory read finds them; only a container whose
   * conmon died first has none, and the full per-container look that finds those runs at most
   * every few seconds, keeping ListContainers cheap on a full node (the kubelet polls it).
   */
  async list(): Promise<ContainerRecord[]> {
    const running = this.store.list().filter((r) => r.state === 'running');
    const exited = await this.ports.monitor.exitedIds();
    await Promise.all(running.filter((r) => exited.has(r.id)).map((r) => this.refresh(r.id)));
    this.lookAtMonitorsWhenDue(running.filter((r) => !exited.has(r.id)));
    return this.store.list();
  }

  /**
   * The full look (is each running container's conmon still there?) runs beside the calls, not
   * in one: 110 containers' monitor records and /proc entries took the libuv pool ~40 ms, the
   * p99 of ListContainers at 110 pods. What it finds shows in the next list, as an exit file does.
   */
  private lookAtMonitorsWhenDue(running: ContainerRecord[]): void {
    const now = Date.now();
    if (this.fullLook || now - this.lastFullLook < fullLookIntervalMs) return;
    this.lastFullLook = now;
    const looks = running.map((r) =>
      this.refresh(r.id).catch((error: unknown) => this.logger.debug({ containerId: r.id, err: errorMessage(error) }, "looking at a container's monitor failed; the next look will")),
    );
    this.fullLook = Promise.all(looks).then(() => {
      this.fullLook = undefined;
    });
  }

  /**
   * The record ContainerStatus reports, with an exit conmon recorded taken in: for a running
   * container that is one read of its exit file. Whether conmon itself is still there (its
   * record and /proc, four more reads) is looked at as ListContainers does, at most every few
   * seconds per container: at 110 pods the kubelet's status calls spent most of their time there.
   */
  async current(id: string): Promise<ContainerRecord> {
    const record = this.store.get(id);
    if (record.state !== 'running') return record;
    const now = Date.now();
    if (now - (this.monitorLookedAt.get(record) ?? 0) >= fullLookIntervalMs) {
      this.monitorLookedAt.set(record, now);
      return this.refresh(record.id);
    }
    if ((await this.ports.monitor.recordedExit(record.id)) === undefined) return this.store.get(record.id);
    return this.refresh(record.id);
  }

  /** Records an exit conmon has seen; returns the current record. */
  async refresh(id: string): Promise<ContainerRecord> {
    const record = await this.store.update(id, async (current) => {
      if (current.state !== 'running') return undefined;
      const exit = await this.ports.monitor.exitStatus(id);
      if (!exit) return undefined;
      const reason = (await this.oomKilled(current, exit.exitCode)) ? 'OOMKilled' : (exit.reason ?? (exit.exitCode === 0 ? 'Completed' : 'Error'));
      return { state: 'exited', exitCode: exit.exitCode, finishedAt: exit.finishedAt, reason, message: exit.message ?? '' };
    });
    if (!record) throw new NotFoundError(`container ${id} not found`);
    return record;
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

  /** Counters for the stats and metrics RPCs (container-usage.ts). */
  usage(idOrPrefix: string, options: UsageOptions = {}): Promise<ContainerUsage> {
    return this.usageReader.read(this.get(idOrPrefix), options);
  }

  /** The host pid of a running container's init process (for reading its namespaces). */
  async pid(idOrPrefix: string): Promise<number | undefined> {
    const record = this.get(idOrPrefix);
    return record.state === 'running' ? this.ports.monitor.pid(record.id) : undefined;
  }

  /** UpdateContainerResources: new limits on the running container's cgroup, then in its status. */
  async updateResources(idOrPrefix: string, resources: LinuxContainerResources__Output | null): Promise<void> {
    if (!resources) throw new InvalidArgumentError('UpdateContainerResources needs linux resources');
    const { id } = this.get(idOrPrefix);
    await this.store.exclusive(id, async () => {
      const record = await this.refresh(id);
      if (record.state === 'exited') throw new FailedPreconditionError(`container ${id} has exited; its resources cannot change`);
      if (!record.cgroupPath) throw new FailedPreconditionError(`container ${id} was created before berth tracked its cgroup; recreate it`);
      await this.ports.cgroups.update(record.cgroupPath, resources);
      await this.store.update(id, () => ({ resources }));
    });
  }

  /**
   * CreateContainer. A retry gets the container already made; one that arrives while the first
   * is in flight waits for it. Each step runs under `signal` and registers its undo.
   */
  async create(sandbox: SandboxRecord, requested: ContainerConfig__Output | null, options: Abortable = {}): Promise<ContainerRecord> {
    if (sandbox.state !== 'ready') {
      throw new FailedPreconditionError(`pod sandbox ${sandbox.id} is not ready; cannot create containers in it`);
    }
    const config = validContainerConfig(requested, sandbox);
    const name = containerName(config, sandbox.name);
    return this.store.create({ name, answers: (existing) => existing.sandboxId === sandbox.id }, (tx) => this.make(tx, name, sandbox, config), options);
  }

  private async make(tx: CreateTransaction<ContainerRecord>, name: string, sandbox: SandboxRecord, config: ContainerConfig__Output): Promise<ContainerRecord> {
    const { id, signal } = tx;
    // 1. The image, pulled before.
    const requested = config.image?.image ?? '';
    const image = await this.ports.images.resolve(requested, { signal });

    // 2. The bundle, and its rootfs: a writable snapshot on the image's layers, mounted.
    const bundleDir = join(this.containersDir, id);
    const rootfs = join(bundleDir, 'rootfs');
    await mkdir(rootfs, { recursive: true, mode: 0o700 });
    tx.onUndo(() => rm(bundleDir, { recursive: true, force: true }));
    const mounts = await this.ports.snapshots.prepare(id, image.topChainId);
    tx.onUndo(() => this.ports.snapshots.remove(id));
    tx.onUndo((cleanup) => this.ports.mounter.unmount(rootfs, { detach: true, signal: cleanup }));
    for (const mount of mounts) {
      if (mount.type === 'bind') await this.ports.mounter.bind(mount.source, rootfs, mount.options, { signal });
      else await this.ports.mounter.mount(mount, rootfs, { signal });
    }
    tx.checkpoint();

    // 3. The OCI spec, with the users and groups the image knows.
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

    // 4. The container, created (not started) by the OCI runtime under conmon.
    const logPath = config.logPath ? join(sandbox.config.logDirectory, config.logPath) : '';
    if (logPath) await mkdir(join(logPath, '..'), { recursive: true, mode: 0o755 });
    const cgroupPath = this.ports.cgroups.pathFor(sandbox, id);
    tx.onUndo(() => this.ports.cgroups.remove(cgroupPath));
    await this.ports.monitor.create({ id, bundleDir, logPath, terminal: config.tty, stdin: config.stdin }, { signal });
    tx.onUndo((cleanup) => this.ports.monitor.delete(id, { signal: cleanup }));

    // 5. The record: from here on the container exists.
    const made = await tx.commit({
      version: containerRecordVersion,
      id,
      sandboxId: sandbox.id,
      name,
      createdAt: nowNanos(),
      config,
      image: { requested, id: image.id, ref: image.ref },
      logPath,
      bundleDir,
      stopSignal: stopSignal ?? 'SIGTERM',
      cgroupPath,
      state: 'created',
      startedAt: '0',
      finishedAt: '0',
      exitCode: 0,
      reason: '',
      message: '',
      resources: config.linux?.resources ?? null,
      labels: config.labels,
    });
    this.logger.info({ containerId: id, podSandboxId: sandbox.id, name }, 'container created');
    return made;
  }

  async start(idOrPrefix: string, options: Abortable = {}): Promise<void> {
    const { id } = this.get(idOrPrefix);
    await this.store.exclusive(id, async () => {
      const record = this.get(id);
      if (record.state !== 'created') {
        throw new FailedPreconditionError(`container ${id} is ${record.state}; only a created container can be started`);
      }
      await this.ports.monitor.start(id, options);
      await this.store.update(id, () => ({ state: 'running', startedAt: nowNanos() }));
    });
  }

  /** Idempotent: stopping an exited or unknown container succeeds. */
  async stop(idOrPrefix: string, timeoutSeconds: number, options: Abortable = {}): Promise<void> {
    const found = this.find(idOrPrefix);
    if (!found) return;
    const { id } = found;
    await this.store.exclusive(id, async () => {
      // Removed meanwhile (a concurrent remove of it or its pod): stopping what is not there succeeds.
      if (!this.find(id)) return;
      const record = await this.refresh(id);
      if (record.state === 'exited') return;
      if (record.state === 'created') {
        // Never started: nothing ran, so it ends without an exit code of its own.
        await this.ports.monitor.stop(id, 0, 'SIGKILL', options);
        await this.store.update(id, () => ({ state: 'exited', finishedAt: nowNanos(), exitCode: 0, reason: 'Stopped' }));
        return;
      }
      await this.ports.monitor.stop(id, Math.max(0, timeoutSeconds), record.stopSignal, options);
      await this.refresh(id);
    });
  }

  /** docker kill: one signal to a running container's init; what follows is the process's own business. */
  async kill(idOrPrefix: string, signal: string, options: Abortable = {}): Promise<void> {
    const { id } = this.get(idOrPrefix);
    await this.store.exclusive(id, async () => {
      const record = await this.refresh(id);
      if (record.state !== 'running') throw new FailedPreconditionError(`container ${id} is ${record.state}; only a running container can be sent a signal`);
      await this.ports.monitor.kill(id, signal, options);
    });
  }

  /** Sets one label of the container (berth's CLI keeps its name there). */
  async setLabel(idOrPrefix: string, key: string, value: string): Promise<ContainerRecord> {
    const { id } = this.get(idOrPrefix);
    const updated = await this.store.update(id, (current) => ({ labels: { ...current.labels, [key]: value } }));
    if (!updated) throw new NotFoundError(`container ${id} was removed meanwhile`);
    return updated;
  }

  /** Kills if needed and forgets the container; removing an unknown container succeeds (CRI). */
  async remove(idOrPrefix: string, options: Abortable = {}): Promise<void> {
    const found = this.find(idOrPrefix);
    if (!found) return;
    const { id } = found;
    await this.stop(id, 0, options);
    await this.store.exclusive(id, async () => {
      const record = this.find(id);
      if (!record) return;
      await this.ports.monitor.delete(id, options);
      await this.ports.mounter.unmount(join(record.bundleDir, 'rootfs'), { detach: true, signal: options.signal });
      await this.ports.snapshots.remove(id);
      await rm(record.bundleDir, { recursive: true, force: true });
      await this.store.remove(id);
      this.usageReader.forget(id);
      this.logger.info({ containerId: id }, 'container removed');
    });
  }

  /** The container, with its exits recorded, when it is running; FailedPrecondition saying why `what` needs that otherwise. */
  private async running(idOrPrefix: string, what: string): Promise<ContainerRecord> {
    const record = await this.refresh(this.get(idOrPrefix).id);
    if (record.state !== 'running') throw new FailedPreconditionError(`container ${record.id} is ${record.state}; ${what} needs a running container`);
    return record;
  }

  async execSync(idOrPrefix: string, command: string[], timeoutSeconds: number, options: Abortable = {}): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }> {
    const record = await this.running(idOrPrefix, 'exec');
    if (command.length === 0) throw new InvalidArgumentError('exec needs a command');
    return this.ports.monitor.execSync(record.id, command, timeoutSeconds, options);
  }

  /** Exec with live stdio; `signal` is the streaming session's, and kills the command when the client goes away. */
  async execStream(idOrPrefix: string, command: string[], options: ExecStreamOptions): Promise<ExecStream> {
    const record = await this.running(idOrPrefix, 'exec');
    if (command.length === 0) throw new InvalidArgumentError('exec needs a command');
    return this.ports.monitor.execStream(record.id, command, options);
  }

  async attach(idOrPrefix: string, options: { stdin: boolean; tty: boolean }): Promise<AttachSession> {
    const record = await this.running(idOrPrefix, 'attach');
    if (options.stdin && !record.config.stdin) throw new FailedPreconditionError(`container ${record.id} was created without stdin: attach without -i, or create it with stdin`);
    if (options.tty !== record.config.tty) {
      throw new FailedPreconditionError(`container ${record.id} ${record.config.tty ? 'has' : 'has no'} terminal: attach ${record.config.tty ? 'with' : 'without'} tty`);
    }
    return this.ports.monitor.attach(record.id, { stdin: options.stdin, tty: options.tty });
  }

  async reopenLog(idOrPrefix: string, options: Abortable = {}): Promise<void> {
    const record = await this.running(idOrPrefix, 'reopening the log');
    await this.ports.monitor.reopenLog(record.id, options);
  }
}
