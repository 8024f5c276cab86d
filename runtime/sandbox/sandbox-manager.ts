// Pod sandboxes without a pause container: RunPodSandbox pins fresh network/IPC/UTS namespaces,
// writes the pod's files and sets up networking through CNI; Stop tears networking and the
// namespaces down; Remove forgets the sandbox. The records, the per-sandbox sections, the name
// reservation and the undo of a half-done RunPodSandbox are the entity store's
// (state/entity-store.ts); this file is the steps. The adapters come in as ports
// (sandbox-ports.ts), so this logic is tested with recorders and the adapters for real.
import { mkdir, rm, stat } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { PodSandboxConfig__Output } from '../../api/cri/messages.js';
import type { Abortable } from '../../common/abort.js';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { EntityStore, type CreateTransaction } from '../state/entity-store.js';
import type { RecordStore } from '../state/record-store.js';
import { isPodOwnCgroup, validSandboxConfig } from './sandbox-config.js';
import type { PodCgroupUsage, PortMappingRequest, SandboxPorts } from './sandbox-ports.js';
import { nowNanos, sandboxName, sandboxRecordVersion, upgradeSandboxRecord, type SandboxMetadata, type SandboxRecord, type SandboxRecordStatus, type SandboxResources } from './sandbox-record.js';
import { networkAnnotation } from '../networks/network-store.js';
import { openSandboxIntents, removeHalfMadeSandboxes, sandboxIntentVersion, type SandboxIntent } from './sandbox-recovery.js';

export class SandboxManager {
  private constructor(
    private readonly store: EntityStore<SandboxMetadata, SandboxRecordStatus>,
    /** RunPodSandbox calls in flight (see sandbox-recovery.ts): what a crash may have left half-made. */
    private readonly intents: RecordStore<SandboxIntent>,
    private readonly sandboxesDir: string,
    private readonly ports: SandboxPorts,
    private readonly logger: Logger,
  ) {}

  static async open(options: { stateDir: string; rootDir: string; ports: SandboxPorts; logger: Logger }): Promise<SandboxManager> {
    const store = await EntityStore.open<SandboxMetadata, SandboxRecordStatus>({
      dir: join(options.rootDir, 'sandboxes'),
      kind: 'pod sandbox',
      idField: 'podSandboxId',
      version: sandboxRecordVersion,
      logger: options.logger,
      upgrade: upgradeSandboxRecord,
    });
    const sandboxesDir = join(options.stateDir, 'sandboxes');
    await mkdir(sandboxesDir, { recursive: true, mode: 0o700 });
    const intents = await openSandboxIntents(join(options.rootDir, 'sandboxes'), options.logger);
    const manager = new SandboxManager(store, intents, sandboxesDir, options.ports, options.logger);
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
    await removeHalfMadeSandboxes({ records: this.store, intents: this.intents, sandboxesDir: this.sandboxesDir, ports: this.ports, isPodOwnCgroup, logger: this.logger });
    for (const record of this.store.list()) {
      if (record.state !== 'ready') continue;
      const present = await stat(record.dir).then(
        () => true,
        () => false,
      );
      if (present) continue;
      // The netns path stays for that DEL; a pid holder's pid may belong to another process by now.
      const { network } = record.namespaces;
      await this.store.update(record.id, () => ({ state: 'notready', namespaces: network ? { network } : {}, ips: [] }));
      this.logger.warn({ podSandboxId: record.id }, 'pod sandbox lost its state dir (reboot?); marked NOTREADY');
    }
  }

  list(): SandboxRecord[] {
    return this.store.list();
  }

  /** The sandbox an id or unique prefix names; undefined when none. */
  find(idOrPrefix: string): SandboxRecord | undefined {
    return this.store.find(idOrPrefix);
  }

  /** The sandbox an id or unique prefix names; NotFound when none. */
  get(idOrPrefix: string): SandboxRecord {
    return this.store.get(idOrPrefix);
  }

  /**
   * RunPodSandbox. A retry of a pod that is ready gets it back; one that arrives while the first
   * is in flight waits for it. Each step runs under `signal` and registers its undo.
   */
  async run(requested: PodSandboxConfig__Output | null, runtimeHandler: string, options: Abortable = {}): Promise<SandboxRecord> {
    const config = validSandboxConfig(requested);
    if (runtimeHandler) throw new InvalidArgumentError(`runtime handler ${JSON.stringify(runtimeHandler)} is not configured; berth has only the default handler`);
    const name = sandboxName(config);
    return this.store.create({ name, answers: (existing) => existing.state === 'ready' }, (tx) => this.make(tx, name, config, runtimeHandler), options);
  }

  private async make(tx: CreateTransaction<SandboxRecord>, name: string, config: PodSandboxConfig__Output, runtimeHandler: string): Promise<SandboxRecord> {
    const { id, signal } = tx;
    const dir = join(this.sandboxesDir, id);
    // 1. Before the first side effect: a crash from here on leaves an intent that the next start
    //    undoes. It goes last, and only once everything else was undone.
    await this.intents.put({ version: sandboxIntentVersion, id, config, dir });
    tx.onUndo(() => this.intents.delete(id), { whenClean: true });
    await mkdir(dir, { mode: 0o700 });
    tx.onUndo(() => rm(dir, { recursive: true, force: true }));

    // 2. The pod cgroup first, so a limit the kernel refuses fails the pod before anything else.
    const cgroupParent = config.linux?.cgroupParent ?? '';
    const resources: SandboxResources = { resources: config.linux?.resources ?? null, overhead: config.linux?.overhead ?? null };
    const cgroupPath = await this.ports.cgroups.create(cgroupParent, id, resources);
    // Without a parent the port made a cgroup for this sandbox alone.
    const ownsCgroup = cgroupParent === '' || isPodOwnCgroup(cgroupPath, config.metadata?.uid ?? '');
    if (ownsCgroup && !this.sharesCgroup(cgroupPath, id)) tx.onUndo(() => this.ports.cgroups.remove(cgroupPath));
    tx.checkpoint();

    // 3. The namespaces, pinned to files.
    const namespaceOptions = config.linux?.securityContext?.namespaceOptions;
    const hostNetwork = namespaceOptions?.network === 'NODE';
    const hostIpc = namespaceOptions?.ipc === 'NODE';
    // No hostname asked for: the node's, as containerd does (pod names can exceed 64 bytes).
    const hostname = config.hostname || osHostname();
    const pins = await this.ports.namespaces.create(join(dir, 'ns'), { network: !hostNetwork, ipc: !hostIpc, uts: !hostNetwork }, hostname, { signal });
    tx.onUndo((cleanup) => this.ports.namespaces.remove(pins, { signal: cleanup }));
    let namespaces = pins;
    if (namespaceOptions?.pid === 'POD') {
      const pid = await this.ports.pidNamespaces.create(dir, { signal });
      namespaces = { ...pins, pid: pid.path, pidHolder: pid.holderPid };
      tx.onUndo(() => this.ports.pidNamespaces.remove(pid));
    }

    const record: SandboxRecord = {
      version: sandboxRecordVersion,
      id,
      name,
      createdAt: nowNanos(),
      config,
      runtimeHandler,
      dir,
      hostNetwork,
      hostname,
      cgroupPath,
      ownsCgroup,
      state: 'ready',
      namespaces,
      ips: [],
      networkSetUp: false,
      resources,
      labels: config.labels,
    };

    // 4. The network, through CNI.
    if (!hostNetwork && namespaces.network) {
      const network = await this.ports.network.setUp(
        { ...podOf(record, namespaces.network), portMappings: config.portMappings.map(portMapping), network: config.annotations?.[networkAnnotation] ?? '' },
        { signal },
      );
      record.ips = network.ips;
      record.networkSetUp = true;
      tx.onUndo((cleanup) => this.tearDownNetwork(record, { signal: cleanup }));
    }

    // 5. The pod's files: hosts, resolv.conf, hostname, /dev/shm.
    const files = await this.ports.files.prepare(dir, { hostname, ips: record.ips, config, hostIpc }, { signal });
    tx.onUndo((cleanup) => this.ports.files.release(dir, files, { signal: cleanup }));

    // 6. The record: from here on the sandbox exists, and its intent has done its job.
    const made = await tx.commit({ ...record, files });
    await this.intents.delete(id).catch((error: unknown) => this.logger.warn({ podSandboxId: id, err: errorMessage(error) }, 'the intent of a made pod sandbox stays; the next start drops it'));
    this.logger.info({ podSandboxId: id, name, ips: made.ips }, 'pod sandbox ready');
    return made;
  }

  /** Whether a sandbox other than `id` (an earlier or later attempt of the pod) uses `path`. */
  private sharesCgroup(path: string, id: string): boolean {
    return this.store.list().some((other) => other.id !== id && other.cgroupPath === path);
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

  /** UpdatePodSandboxResources: the pod cgroup's limits, live; then the status says so. */
  async updateResources(idOrPrefix: string, resources: SandboxResources): Promise<void> {
    const { id } = this.store.get(idOrPrefix);
    await this.store.exclusive(id, async () => {
      const record = this.store.find(id);
      if (!record) throw new NotFoundError(`pod sandbox ${id} was removed while updating its resources`);
      if (!record.cgroupPath) throw new FailedPreconditionError(`pod sandbox ${id} was created before berth kept pod cgroups; recreate it to limit it`);
      await this.ports.cgroups.update(record.cgroupPath, resources);
      await this.store.update(id, (current) => ({
        resources: { resources: resources.resources ?? current.resources.resources, overhead: resources.overhead ?? current.resources.overhead },
      }));
    });
  }

  /** Sets one label of the pod (berth's CLI keeps its container's name there too). */
  async setLabel(idOrPrefix: string, key: string, value: string): Promise<void> {
    const { id } = this.store.get(idOrPrefix);
    const updated = await this.store.update(id, (current) => ({ labels: { ...current.labels, [key]: value } }));
    if (!updated) throw new FailedPreconditionError(`pod sandbox ${id} was removed while renaming it`);
  }

  private async tearDownNetwork(record: SandboxRecord, options: Abortable): Promise<void> {
    if (!record.networkSetUp || !record.namespaces.network) return;
    await this.ports.network.tearDown(podOf(record, record.namespaces.network), options);
  }

  /**
   * Tears down networking and releases the namespaces; the record stays (NOTREADY) until
   * RemovePodSandbox. Idempotent: stopping a stopped or unknown sandbox succeeds (the kubelet
   * retries stops after restarts). The caller stops the sandbox's containers first. An abort
   * leaves the sandbox READY with its teardown part-done; the next stop finishes it (each step
   * is idempotent, and the record changes only once they all went).
   */
  async stop(idOrPrefix: string, options: Abortable = {}): Promise<SandboxRecord | undefined> {
    const found = this.store.find(idOrPrefix);
    if (!found) return undefined;
    return this.store.exclusive(found.id, async () => {
      // Removed meanwhile (a concurrent RemovePodSandbox): stopping what is not there succeeds.
      const record = this.store.find(found.id);
      if (!record) return undefined;
      if (record.state === 'notready' && !record.networkSetUp && Object.keys(record.namespaces).length === 0) return record;
      await this.tearDownNetwork(record, options);
      if (record.files) await this.ports.files.release(record.dir, record.files, options);
      const { network, ipc, uts, pid, pidHolder } = record.namespaces;
      if (pid && pidHolder) await this.ports.pidNamespaces.remove({ path: pid, holderPid: pidHolder });
      await this.ports.namespaces.remove({ ...(network ? { network } : {}), ...(ipc ? { ipc } : {}), ...(uts ? { uts } : {}) }, options);
      const stopped = await this.store.update(record.id, () => ({ networkSetUp: false, namespaces: {}, state: 'notready' }));
      this.logger.info({ podSandboxId: record.id }, 'pod sandbox stopped');
      return stopped;
    });
  }

  /** Stops if needed and forgets the sandbox. Removing an unknown sandbox succeeds (CRI). */
  async remove(idOrPrefix: string, options: Abortable = {}): Promise<void> {
    const found = this.store.find(idOrPrefix);
    if (!found) return;
    await this.stop(found.id, options);
    await this.store.exclusive(found.id, async () => {
      const record = this.store.find(found.id);
      if (!record) return;
      await rm(record.dir, { recursive: true, force: true });
      // The record goes last: a remove cut short by a crash is retried from it, and nothing it
      // names (the pod cgroup) is left without one.
      await this.removeCgroup(record);
      await this.store.remove(record.id);
      this.logger.info({ podSandboxId: record.id }, 'pod sandbox removed');
    });
  }
}

/** The pod as the network port names it. */
function podOf(record: SandboxRecord, netnsPath: string): { sandboxId: string; netnsPath: string; podName: string; podNamespace: string; podUid: string } {
  const m = record.config.metadata;
  return { sandboxId: record.id, netnsPath, podName: m?.name ?? '', podNamespace: m?.namespace ?? '', podUid: m?.uid ?? '' };
}

function portMapping(p: PodSandboxConfig__Output['portMappings'][number]): PortMappingRequest {
  return {
    protocol: (p.protocol || 'TCP').toLowerCase() as PortMappingRequest['protocol'],
    containerPort: p.containerPort,
    hostPort: p.hostPort,
    hostIp: p.hostIp,
  };
}
