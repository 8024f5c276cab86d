// Pod sandboxes without a pause container: RunPodSandbox pins fresh network/IPC/UTS namespaces,
// writes the pod's files and sets up networking through CNI; Stop tears networking and the
// namespaces down; Remove forgets the sandbox. Each step registers its undo, so a failed
// RunPodSandbox leaves nothing behind. The adapters come in as ports, so this logic is tested
// with recorders and the adapters are tested for real.
import { mkdir, rm, stat } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { LinuxContainerResources__Output, PodSandboxConfig__Output } from '../../api/cri/messages.js';
import { cleanupSignal, throwIfAborted, type Abortable } from '../../common/abort.js';
import { FailedPreconditionError, InvalidArgumentError, errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { CgroupStats, OomEvents } from '../cgroups/stats.js';
import type { PidNamespacePort } from '../linux/pid-namespace.js';
import { RecordStore } from '../state/record-store.js';
import { newId, resolveId } from '../state/ids.js';
import { NameReservations } from '../state/name-reservations.js';
import { networkAnnotation } from '../networks/network-store.js';
import { nowNanos, sandboxName, sandboxRecordVersion, type NamespacePins, type SandboxFiles, type SandboxRecord } from './sandbox-record.js';
import { openSandboxIntents, removeHalfMadeSandboxes, sandboxIntentVersion, type LeftoverMountsPort, type SandboxIntent } from './sandbox-recovery.js';

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
  create(cgroupParent: string, sandboxId: string, resources: PodResources): Promise<string>;
  /** New pod-level limits on a live pod (UpdatePodSandboxResources). */
  update(path: string, resources: PodResources): Promise<void>;
  /** Removes the cgroup; refuses while it holds processes or child cgroups. Absent: success. */
  remove(path: string): Promise<void>;
  /** The cgroup's counters; a part that cannot be read is left out. */
  usage(path: string): Promise<PodCgroupUsage>;
}

export interface PodCgroupUsage {
  stats: CgroupStats | undefined;
  oom: OomEvents | undefined;
}

export interface PodResources {
  resources: LinuxContainerResources__Output | null;
  overhead: LinuxContainerResources__Output | null;
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

/** Undoes one step of a create; gets a signal of its own (the request's may be what failed it). */
type Undo = (signal: AbortSignal) => Promise<void>;

const hostnamePattern = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/;

function validate(config: PodSandboxConfig__Output | null): PodSandboxConfig__Output {
  if (!config) throw new InvalidArgumentError('RunPodSandbox needs a config');
  const m = config.metadata;
  if (!m?.name || !m.namespace || !m.uid) {
    throw new InvalidArgumentError('pod sandbox metadata needs name, namespace and uid');
  }
  for (const [field, value] of [
    ['name', m.name],
    ['namespace', m.namespace],
    ['uid', m.uid],
  ] as const) {
    if (value.length > 253 || /[\s/\\_]|\.\./.test(value)) {
      throw new InvalidArgumentError(`pod sandbox metadata ${field} ${JSON.stringify(value)} may not contain "/", "_", "..", or whitespace`);
    }
  }
  // The kernel's limit (HOST_NAME_MAX) and the characters a hostname may have.
  if (config.hostname && (config.hostname.length > 64 || !hostnamePattern.test(config.hostname))) {
    throw new InvalidArgumentError(`hostname ${JSON.stringify(config.hostname)} must be at most 64 letters, digits, "-" or "."`);
  }
  if (config.logDirectory && !config.logDirectory.startsWith('/')) {
    throw new InvalidArgumentError(`log directory ${JSON.stringify(config.logDirectory)} must be an absolute path`);
  }
  for (const mapping of config.portMappings) {
    if (mapping.hostPort < 0 || mapping.hostPort > 65535 || mapping.containerPort <= 0 || mapping.containerPort > 65535) {
      throw new InvalidArgumentError(`port mapping ${mapping.hostPort}:${mapping.containerPort} is out of range`);
    }
  }
  if (config.linux?.securityContext?.namespaceOptions?.usernsOptions?.mode === 'POD') {
    throw new InvalidArgumentError('user namespaces are not supported by berth yet');
  }
  return config;
}

/**
 * Whether the cgroup at `path` is the pod's own, named after its uid as the kubelet names pod
 * cgroups (…/pod<uid>): berth removes only such a cgroup with the pod.
 */
export function isPodOwnCgroup(path: string, podUid: string): boolean {
  return podUid !== '' && path.split('/').at(-1) === `pod${podUid}`;
}

export class SandboxManager {
  /** Ids with an operation in flight: a second operation on the same sandbox waits its turn. */
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Names whose RunPodSandbox is in flight: a duplicate waits for it and gets its sandbox, never a second. */
  private readonly creating = new NameReservations('pod sandbox');

  private constructor(
    private readonly records: RecordStore<SandboxRecord>,
    /** RunPodSandbox calls in flight (see sandbox-recovery.ts): what a crash may have left half-made. */
    private readonly intents: RecordStore<SandboxIntent>,
    private readonly sandboxesDir: string,
    private readonly ports: SandboxPorts,
    private readonly logger: Logger,
  ) {}

  static async open(options: { stateDir: string; rootDir: string; ports: SandboxPorts; logger: Logger }): Promise<SandboxManager> {
    const records = await RecordStore.open<SandboxRecord>({
      dir: join(options.rootDir, 'sandboxes'),
      kind: 'sandbox',
      version: sandboxRecordVersion,
      logger: options.logger,
    });
    const sandboxesDir = join(options.stateDir, 'sandboxes');
    await mkdir(sandboxesDir, { recursive: true, mode: 0o700 });
    const intents = await openSandboxIntents(join(options.rootDir, 'sandboxes'), options.logger);
    const manager = new SandboxManager(records, intents, sandboxesDir, options.ports, options.logger);
    await manager.reconcile();
    return manager;
  }

  /**
   * After a restart the pins and files of a ready sandbox are still there, unless the volatile
   * state dir was wiped (a reboot): such a sandbox lost its namespaces and becomes NOTREADY, so
   * the kubelet recreates it; its network stays marked set up, so that stopping it still DELs
   * (without the netns, as CNI allows) and IPAM lets go of its address. Sandboxes whose
   * RunPodSandbox was cut short go first.
   */
  private async reconcile(): Promise<void> {
    await removeHalfMadeSandboxes({
      records: this.records,
      intents: this.intents,
      sandboxesDir: this.sandboxesDir,
      ports: this.ports,
      isPodOwnCgroup,
      logger: this.logger,
    });
    for (const record of this.records.list()) {
      if (record.state !== 'ready') continue;
      const present = await stat(record.dir).then(
        () => true,
        () => false,
      );
      if (present) continue;
      // The netns path stays for that DEL; a pid holder's pid may belong to another process by now.
      const { network } = record.namespaces;
      await this.records.put({ ...record, state: 'notready', namespaces: network ? { network } : {}, ips: [] });
      this.logger.warn({ podSandboxId: record.id }, 'pod sandbox lost its state dir (reboot?); marked NOTREADY');
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

  list(): SandboxRecord[] {
    return this.records.list();
  }

  /** Resolves an id or unique prefix; NotFound otherwise. */
  get(idOrPrefix: string): SandboxRecord {
    const id = resolveId(
      'pod sandbox',
      idOrPrefix,
      this.records.list().map((r) => r.id),
    );
    const record = this.records.get(id);
    if (!record) throw new Error(`sandbox ${id} vanished during lookup`);
    return record;
  }

  /**
   * Creates the sandbox, step by step, each step under `signal`: an abort kills the step's
   * program and fails the run, and the steps done so far are undone as after any failure.
   */
  async run(requested: PodSandboxConfig__Output | null, runtimeHandler: string, options: Abortable = {}): Promise<SandboxRecord> {
    const config = validate(requested);
    if (runtimeHandler) throw new InvalidArgumentError(`runtime handler ${JSON.stringify(runtimeHandler)} is not configured; berth has only the default handler`);
    const name = sandboxName(config);
    // A kubelet that timed out and retries must get the same sandbox back, not a second one.
    const existing = this.records.list().find((r) => r.name === name && r.state === 'ready');
    if (existing) return existing;

    const id = newId();
    const { signal } = options;
    const checkpoint = (): void => throwIfAborted(signal, `RunPodSandbox of ${name} (${id})`);
    return this.creating.hold(
      name,
      id,
      () =>
        this.exclusive(id, async () => {
          const undo: Undo[] = [];
          const dir = join(this.sandboxesDir, id);
          // Before the first side effect: a crash from here on leaves an intent that the next start undoes.
          const intent: SandboxIntent = { version: sandboxIntentVersion, id, config, dir };
          try {
            checkpoint();
            await this.intents.put(intent);
            await mkdir(dir, { mode: 0o700 });
            undo.push(() => rm(dir, { recursive: true, force: true }));

            // First, so a limit the kernel refuses fails the pod before anything else is set up.
            const cgroupParent = config.linux?.cgroupParent ?? '';
            const cgroupPath = await this.ports.cgroups.create(cgroupParent, id, {
              resources: config.linux?.resources ?? null,
              overhead: config.linux?.overhead ?? null,
            });
            // Without a parent the port made a cgroup for this sandbox alone.
            const ownsCgroup = cgroupParent === '' || isPodOwnCgroup(cgroupPath, config.metadata?.uid ?? '');
            if (ownsCgroup && !this.sharesCgroup(cgroupPath, id)) undo.push(() => this.ports.cgroups.remove(cgroupPath));
            checkpoint();

            const namespaceOptions = config.linux?.securityContext?.namespaceOptions;
            const hostNetwork = namespaceOptions?.network === 'NODE';
            const hostIpc = namespaceOptions?.ipc === 'NODE';
            // No hostname asked for: the node's, as containerd does (pod names can exceed 64 bytes).
            const hostname = config.hostname || osHostname();
            const record: SandboxRecord = {
              version: sandboxRecordVersion,
              id,
              name,
              state: 'ready',
              createdAt: nowNanos(),
              config,
              runtimeHandler,
              dir,
              namespaces: {},
              hostNetwork,
              hostname,
              ips: [],
              networkSetUp: false,
              cgroupPath,
              ownsCgroup,
            };

            record.namespaces = await this.ports.namespaces.create(join(dir, 'ns'), { network: !hostNetwork, ipc: !hostIpc, uts: !hostNetwork }, hostname, { signal });
            const pins = { ...record.namespaces };
            undo.push((cleanup) => this.ports.namespaces.remove(pins, { signal: cleanup }));

            if (namespaceOptions?.pid === 'POD') {
              const pid = await this.ports.pidNamespaces.create(dir, { signal });
              record.namespaces = { ...record.namespaces, pid: pid.path, pidHolder: pid.holderPid };
              undo.push(() => this.ports.pidNamespaces.remove(pid));
            }

            if (!hostNetwork && record.namespaces.network) {
              const network = await this.ports.network.setUp(
                {
                  sandboxId: id,
                  netnsPath: record.namespaces.network,
                  podName: config.metadata?.name ?? '',
                  podNamespace: config.metadata?.namespace ?? '',
                  podUid: config.metadata?.uid ?? '',
                  network: config.annotations?.[networkAnnotation] ?? '',
                  portMappings: config.portMappings.map((p) => ({
                    protocol: (p.protocol || 'TCP').toLowerCase() as PortMappingRequest['protocol'],
                    containerPort: p.containerPort,
                    hostPort: p.hostPort,
                    hostIp: p.hostIp,
                  })),
                },
                { signal },
              );
              record.ips = network.ips;
              record.networkSetUp = true;
              undo.push((cleanup) => this.tearDownNetwork(record, { signal: cleanup }));
            }

            record.files = await this.ports.files.prepare(dir, { hostname, ips: record.ips, config, hostIpc }, { signal });
            const files = record.files;
            undo.push((cleanup) => this.ports.files.release(dir, files, { signal: cleanup }));

            // The last point where an abort counts: from the record on, the sandbox exists.
            checkpoint();
            await this.records.put(record);
            await this.intents.delete(id);
            this.logger.info({ podSandboxId: id, name, ips: record.ips }, 'pod sandbox ready');
            return record;
          } catch (error) {
            const cleanupErrors: string[] = [];
            for (const step of undo.reverse()) {
              await step(cleanupSignal()).catch((cleanupError: unknown) => cleanupErrors.push(errorMessage(cleanupError)));
            }
            if (cleanupErrors.length > 0) {
              this.logger.error({ podSandboxId: id, cleanupErrors }, 'cleaning up a failed RunPodSandbox failed too; the next start tries again');
            } else {
              await this.intents.delete(id).catch(() => undefined);
            }
            throw error;
          }
        }),
      options,
    );
  }

  /** Whether a sandbox other than `id` (an earlier or later attempt of the pod) uses `path`. */
  private sharesCgroup(path: string, id: string): boolean {
    return this.records.list().some((other) => other.id !== id && other.cgroupPath === path);
  }

  /**
   * The pod's own cgroup goes with its last sandbox. A shared parent (kubepods, or "berth" for a
   * sandbox recorded before parentless pods got a cgroup each) stays.
   * A cgroup something else still uses (a process berth did not start) is kept and logged:
   * removing the pod must not fail on it.
   */
  private async removeCgroup(record: SandboxRecord): Promise<void> {
    if (!record.ownsCgroup || !record.cgroupPath || this.sharesCgroup(record.cgroupPath, record.id)) return;
    await this.ports.cgroups.remove(record.cgroupPath).catch((error: unknown) => {
      this.logger.warn({ podSandboxId: record.id, cgroup: record.cgroupPath, error: errorMessage(error) }, 'the pod cgroup could not be removed');
    });
  }

  /** The counters of the pod's own cgroup; undefined for a pod in a shared parent. */
  async cgroupUsage(record: SandboxRecord): Promise<PodCgroupUsage | undefined> {
    if (!record.ownsCgroup || !record.cgroupPath) return undefined;
    return this.ports.cgroups.usage(record.cgroupPath);
  }

  /** UpdatePodSandboxResources: the pod cgroup's limits, live; remembered for the sandbox's status. */
  async updateResources(idOrPrefix: string, resources: PodResources): Promise<void> {
    const id = this.get(idOrPrefix).id;
    await this.exclusive(id, async () => {
      const record = this.records.get(id);
      if (!record) throw new FailedPreconditionError(`pod sandbox ${id} was removed while updating its resources`);
      if (!record.cgroupPath) throw new FailedPreconditionError(`pod sandbox ${id} was created before berth kept pod cgroups; recreate it to limit it`);
      await this.ports.cgroups.update(record.cgroupPath, resources);
      // A copy: the record in memory changes only once the new one is written.
      const current = record.config.linux;
      const linux = current && {
        ...current,
        ...(resources.resources ? { resources: resources.resources } : {}),
        ...(resources.overhead ? { overhead: resources.overhead } : {}),
      };
      await this.records.put({ ...record, config: { ...record.config, linux } });
    });
  }

  /** Sets one label of the pod (berth's CLI keeps its container's name there too), written before it counts. */
  async setLabel(idOrPrefix: string, key: string, value: string): Promise<void> {
    const id = this.get(idOrPrefix).id;
    await this.exclusive(id, async () => {
      const record = this.records.get(id);
      if (!record) throw new FailedPreconditionError(`pod sandbox ${id} was removed while renaming it`);
      await this.records.put({ ...record, config: { ...record.config, labels: { ...record.config.labels, [key]: value } } });
    });
  }

  private async tearDownNetwork(record: SandboxRecord, options: Abortable): Promise<void> {
    if (!record.networkSetUp || !record.namespaces.network) return;
    const m = record.config.metadata;
    await this.ports.network.tearDown(
      {
        sandboxId: record.id,
        netnsPath: record.namespaces.network,
        podName: m?.name ?? '',
        podNamespace: m?.namespace ?? '',
        podUid: m?.uid ?? '',
      },
      options,
    );
  }

  /**
   * Tears down networking and releases the namespaces; the record stays (NOTREADY) until
   * RemovePodSandbox. Idempotent: stopping a stopped sandbox succeeds. The caller stops the
   * sandbox's containers first. An abort leaves the sandbox READY with its teardown part-done;
   * the next stop finishes it (each step is idempotent).
   */
  async stop(idOrPrefix: string, options: Abortable = {}): Promise<SandboxRecord | undefined> {
    let id: string;
    try {
      id = this.get(idOrPrefix).id;
    } catch (error) {
      // Stopping what is not there succeeds: the kubelet retries stops after restarts.
      if ((error as { code?: string }).code === 'NOT_FOUND') return undefined;
      throw error;
    }
    return this.exclusive(id, async () => {
      const record = this.records.get(id);
      // Removed meanwhile (a concurrent RemovePodSandbox): stopping what is not there succeeds.
      if (!record) return undefined;
      if (record.state === 'notready' && !record.networkSetUp && Object.keys(record.namespaces).length === 0) return record;
      await this.tearDownNetwork(record, options);
      if (record.files) await this.ports.files.release(record.dir, record.files, options);
      if (record.namespaces.pid && record.namespaces.pidHolder) {
        await this.ports.pidNamespaces.remove({ path: record.namespaces.pid, holderPid: record.namespaces.pidHolder });
      }
      const { network, ipc, uts } = record.namespaces;
      await this.ports.namespaces.remove({ ...(network ? { network } : {}), ...(ipc ? { ipc } : {}), ...(uts ? { uts } : {}) }, options);
      // Memory changes only with the record written: a stop cut short is retried from the start.
      const stopped: SandboxRecord = { ...record, networkSetUp: false, namespaces: {}, state: 'notready' };
      await this.records.put(stopped);
      this.logger.info({ podSandboxId: id }, 'pod sandbox stopped');
      return stopped;
    });
  }

  /** Stops if needed and forgets the sandbox. Removing an unknown sandbox succeeds (CRI). */
  async remove(idOrPrefix: string, options: Abortable = {}): Promise<void> {
    let id: string;
    try {
      id = this.get(idOrPrefix).id;
    } catch (error) {
      if ((error as { code?: string }).code === 'NOT_FOUND') return;
      throw error;
    }
    await this.stop(id, options);
    await this.exclusive(id, async () => {
      const record = this.records.get(id);
      if (!record) return;
      await rm(record.dir, { recursive: true, force: true });
      // The record goes last: a remove cut short by a crash is retried from it, and nothing it
      // names (the pod cgroup) is left without one.
      await this.removeCgroup(record);
      await this.records.delete(id);
      this.logger.info({ podSandboxId: id }, 'pod sandbox removed');
    });
  }
}
