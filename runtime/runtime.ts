// The runtime facade the CRI server calls: one object owning the stores and adapters. The CRI
// layer never reaches past it. Operations that span sandboxes and containers (stopping a pod
// stops its containers first) live here.
import { mkdir } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import type { ContainerConfig__Output, PodSandboxConfig__Output } from '../api/cri/messages.js';
import type { Logger } from '../common/logger.js';
import type { RuntimeConfig } from './config.js';
import { ContainerManager } from './containers/container-manager.js';
import { ContainerFiles } from './containers/container-files.js';
import { AttrToolsXattrs } from './linux/xattr.js';
import { dialInNetns, type NetnsConnection } from './linux/netns-dial.js';
import { readNetDev, type InterfaceCounters } from './linux/net-dev.js';
import type { ContainerRecord } from './containers/container-record.js';
import type { ContainerUsage } from './containers/container-usage.js';
import { cleanupSignal, type Abortable } from '../common/abort.js';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, errorMessage } from '../common/errors.js';
import { cliNameLabel, validCliName } from '../common/cli-name.js';
import { Images } from './images/images.js';
import type { ImageUser } from './images/image-removal.js';
import type { ImageRecord } from './images/image-store.js';
import type { BuildStepSettings } from './images/build-step-image.js';
import { removeHalfPulledContent } from './images/half-pulled.js';
import { StoreUsage } from './images/store-usage.js';
import { hostMountPointOf } from '../common/linux/mounts.js';
import { SandboxManager } from './sandbox/sandbox-manager.js';
import type { PodCgroupUsage } from './sandbox/sandbox-ports.js';
import type { SandboxRecord, SandboxResources } from './sandbox/sandbox-record.js';
import { lockRootDir, type RootLock } from './state/root-lock.js';
import { createPorts, type RuntimePorts } from './wiring.js';
import { VolumeStore } from './volumes/volume-store.js';
import { NetworkStore, networkAnnotation, type NetworkRecord } from './networks/network-store.js';
import { refreshNetworkHosts } from './networks/network-hosts.js';
import { deleteBridge } from './networks/bridge-link.js';

export interface Condition {
  ok: boolean;
  reason: string;
  message: string;
}

export interface RuntimeStatus {
  runtimeReady: Condition;
  networkReady: Condition;
}

export interface FilesystemUsage {
  mountpoint: string;
  usedBytes: number;
  inodesUsed: number;
}

export const runtimeName = 'berth';

export interface PodUsageOptions {
  /**
   * What the metrics RPCs report instead of the stats: cgroup counters with OOM counters, and the
   * pod's own cgroup; no network, writable layers or CPU rates.
   */
  metrics?: boolean;
}

export interface PodUsage {
  sandbox: SandboxRecord;
  containers: { record: ContainerRecord; usage: ContainerUsage }[];
  /** Interfaces of the pod's network namespace, loopback left out; undefined when unreadable. */
  network: InterfaceCounters[] | undefined;
  /** The pod's own cgroup (…/pod<uid>) when asked for metrics; undefined in a shared parent. */
  podCgroup: PodCgroupUsage | undefined;
}

export class Runtime {
  private storeUsage: StoreUsage | undefined;
  /** docker's diff, export and cp: a container's files, read and written inside its root. */
  readonly files: ContainerFiles;
  /** Renames one at a time, so two cannot both find a name free and both take it. */
  private renaming: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly config: RuntimeConfig,
    readonly sandboxes: SandboxManager,
    readonly containers: ContainerManager,
    readonly images: Images,
    readonly volumes: VolumeStore,
    readonly networks: NetworkStore,
    private readonly ports: RuntimePorts,
    private readonly lock: RootLock,
    private readonly logger: Logger,
  ) {
    this.files = new ContainerFiles(containers, ports.container.snapshots, new AttrToolsXattrs(), logger);
  }

  /** The OCI runtime in use: the one asked for, or the one picked for this host. */
  get ociRuntimeName(): string | undefined {
    return this.config.ociRuntime ?? this.ports.ociRuntimeName;
  }

  static async open(config: RuntimeConfig, logger: Logger, ports?: RuntimePorts): Promise<Runtime> {
    await mkdir(config.rootDir, { recursive: true, mode: 0o711 });
    await mkdir(config.stateDir, { recursive: true, mode: 0o711 });
    const lock = await lockRootDir(config.rootDir);
    const wired = ports ?? (await createPorts(config, logger));
    const images = await Images.open({
      rootDir: config.rootDir,
      hosts: {
        insecure: config.insecureRegistries,
        mirrors: Object.fromEntries(Object.entries(config.registryMirrors).map(([host, url]) => [host, [url]])),
        mirrorsReplace: true,
      },
      unpacker: wired.unpacker,
      logger,
    });
    await removeHalfPulledContent({ content: images.content, store: images.store, unpacker: wired.unpacker, logger });
    const containerPorts = { ...wired.container, images: { resolve: (ref: string, options?: Abortable) => images.forContainer(ref, options) } };
    const sandboxes = await SandboxManager.open({ stateDir: config.stateDir, rootDir: config.rootDir, ports: wired.sandbox, logger });
    const containers = await ContainerManager.open({ stateDir: config.stateDir, rootDir: config.rootDir, ports: containerPorts, logger });
    const volumes = await VolumeStore.open(config.rootDir, logger);
    const networks = wired.networks ?? (await NetworkStore.open(config.rootDir, config.stateDir, logger));
    logger.info({ rootDir: config.rootDir, stateDir: config.stateDir }, 'runtime opened');
    return new Runtime(config, sandboxes, containers, images, volumes, networks, wired, lock, logger);
  }

  /** Which containers use each image (by image id), for docker's rmi and image prune. */
  async imageUsers(): Promise<Map<string, ImageUser[]>> {
    const users = new Map<string, ImageUser[]>();
    for (const record of await this.containers.list()) {
      users.set(record.image.id, [...(users.get(record.image.id) ?? []), { containerId: record.id, running: record.state === 'running' }]);
    }
    return users;
  }

  /** docker commit: the container's writable layer as a new image on top of its image (Images.commit). */
  async commitContainer(idOrPrefix: string, options: { reference: string; changes: readonly string[]; message: string; author: string }): Promise<ImageRecord> {
    const record = this.containers.get(idOrPrefix);
    const settings = {
      command: record.config.command ?? [],
      args: record.config.args ?? [],
      // A record read back from JSON holds a Buffer as {type, data}; Buffer.from takes either.
      env: (record.config.envs ?? []).map(({ key, value }) => ({ key, value: typeof value === 'string' ? value : Buffer.from(value as Buffer).toString('utf8') })),
      workingDir: record.config.workingDir ?? '',
    };
    const layer = await this.files.layerDiff(record.id);
    return this.images.commit(record.image.id, layer, settings, options);
  }

  /**
   * berth build's step (berth.v1.Images/BuildStep): the new layer is the container's changes
   * (as commit takes them) or `layerTar` (a COPY onto scratch), or there is none.
   */
  async buildStep(step: { parent: string; container: string; layerTar: AsyncIterable<Uint8Array> | undefined; settings: Omit<BuildStepSettings, 'now'>; cacheKey: string }): Promise<ImageRecord> {
    const layer = step.container !== '' ? await this.files.layerDiff(this.containers.get(step.container).id, { withoutMountTargets: true }) : step.layerTar;
    const image = await this.images.buildStep(step.parent === '' ? undefined : step.parent, layer, step.settings);
    if (step.cacheKey !== '') await this.images.buildCache.remember(step.cacheKey, image.id);
    return image;
  }

  /**
   * CreateContainer, and docker's first-mount copy: a volume of berth's (a mount of exactly its
   * mountpoint) that is still empty gets what the image has at the mount path. A copy that fails
   * removes the container again, so a create either fully happens or not at all.
   */
  async createContainer(sandbox: SandboxRecord, config: ContainerConfig__Output | null, options: Abortable = {}): Promise<ContainerRecord> {
    const record = await this.containers.create(sandbox, config, options);
    for (const mount of record.config.mounts ?? []) {
      const [name] = this.volumes.volumesOf(mount.hostPath);
      if (name === undefined || normalize(mount.hostPath) !== this.volumes.mountpoint(name) || !(await this.volumes.isEmpty(name))) continue;
      try {
        if (await this.files.copyUp(record.id, mount.containerPath, this.volumes.mountpoint(name))) this.logger.info({ containerId: record.id, volume: name }, "volume filled from the image's files");
      } catch (error) {
        await this.containers
          .remove(record.id, { signal: cleanupSignal() })
          .catch((cleanup: unknown) => this.logger.error({ containerId: record.id, err: cleanup }, 'removing the container whose volume copy failed failed too'));
        throw new FailedPreconditionError(`copying the image's ${mount.containerPath} into the new volume ${name} failed: ${errorMessage(error)}`, { cause: error });
      }
    }
    return record;
  }

  /** Which containers (ids) mount each volume (by name): a mount of its mountpoint or below, whatever made the container. */
  async volumeUsers(): Promise<Map<string, string[]>> {
    const users = new Map<string, string[]>();
    for (const record of await this.containers.list()) {
      for (const mount of record.config.mounts ?? []) {
        for (const name of this.volumes.volumesOf(mount.hostPath)) users.set(name, [...new Set([...(users.get(name) ?? []), record.id])]);
      }
    }
    return users;
  }

  /** docker volume rm: refused while any container mounts the volume. */
  removeVolume(name: string): Promise<void> {
    return this.volumes.remove(name, async (volume) => (await this.volumeUsers()).get(volume) ?? []);
  }

  /** docker volume prune [-a]: the anonymous volumes (every one with `all`) no container mounts. */
  async pruneVolumes(all: boolean): Promise<{ deleted: string[]; reclaimedBytes: number }> {
    const users = await this.volumeUsers();
    const deleted: string[] = [];
    let reclaimedBytes = 0;
    for (const volume of this.volumes.list()) {
      if ((!all && !volume.anonymous) || users.has(volume.name)) continue;
      const size = await this.volumes.size(volume.name);
      try {
        await this.removeVolume(volume.name);
      } catch (error) {
        // A container made meanwhile took it: it stays, as docker's prune leaves a volume it finds in use.
        if ((error as { code?: string }).code === 'FAILED_PRECONDITION') continue;
        throw error;
      }
      deleted.push(volume.name);
      reclaimedBytes += size;
    }
    return { deleted, reclaimedBytes };
  }

  /**
   * docker rename: the CLI's name label of the container and its pod. The name is checked against
   * every other container first; the pod's label is written second, so a crash between leaves a
   * container `ps` shows renamed and a pod that `rm` still finds by the container.
   */
  renameCliContainer(idOrPrefix: string, name: string): Promise<void> {
    const renamed = this.renaming.then(() => this.rename(idOrPrefix, name));
    this.renaming = renamed.catch(() => undefined);
    return renamed;
  }

  private async rename(idOrPrefix: string, name: string): Promise<void> {
    if (!validCliName.test(name)) throw new InvalidArgumentError(`invalid container name "${name}": use letters, digits, _, . and - (starting with a letter or digit)`);
    const record = this.containers.get(idOrPrefix);
    const current = record.labels[cliNameLabel];
    if (current === undefined) throw new FailedPreconditionError(`container ${record.id} was not made by berth's CLI (the kubelet names its containers); it cannot be renamed`);
    if (current === name) return;
    const holder = (await this.containers.list()).find((other) => other.id !== record.id && other.labels[cliNameLabel] === name);
    if (holder) throw new AlreadyExistsError(`the container name "${name}" is in use by ${holder.id.slice(0, 12)}: remove or rename that container first`);
    await this.containers.setLabel(record.id, cliNameLabel, name);
    await this.sandboxes.setLabel(record.sandboxId, cliNameLabel, name);
    this.logger.info({ containerId: record.id, from: current, to: name }, 'container renamed');
  }

  async status(): Promise<RuntimeStatus> {
    const [runtimeReady, networkReady] = await Promise.all([this.ports.runtimeStatus(), this.ports.networkStatus()]);
    return { runtimeReady, networkReady };
  }

  async runPodSandbox(config: PodSandboxConfig__Output | null, runtimeHandler: string, options: Abortable = {}): Promise<SandboxRecord> {
    const record = await this.sandboxes.run(config, runtimeHandler, options);
    await this.refreshNetworkOf(record);
    return record;
  }

  /** The pods (ids) on a user network, ready or not: a network with any cannot be removed. */
  networkUsers(name: string): string[] {
    return this.sandboxes
      .list()
      .filter((sandbox) => sandbox.config.annotations?.[networkAnnotation] === name)
      .map((sandbox) => sandbox.id);
  }

  /** docker network rm: refused while a pod is on it; its bridge and leases go with it. */
  removeNetwork(nameOrId: string): Promise<NetworkRecord> {
    return this.networks.remove(nameOrId, (name) => this.networkUsers(name), deleteBridge);
  }

  /** After a pod on a user network came or went: every member's /etc/hosts names the others (network-hosts.ts). */
  private async refreshNetworkOf(sandbox: SandboxRecord): Promise<void> {
    const network = sandbox.config.annotations?.[networkAnnotation];
    if (!network || network === 'none' || network === 'bridge') return;
    await refreshNetworkHosts(this.sandboxes.list(), network).catch((error: unknown) =>
      this.logger.warn({ podSandboxId: sandbox.id, network, err: error }, "rewriting the network's hosts files failed; names of its pods may be stale"),
    );
  }

  /** Kills the pod's containers (the kubelet has stopped them gracefully before), then the pod. */
  async stopPodSandbox(idOrPrefix: string, options: Abortable = {}): Promise<void> {
    const sandbox = this.sandboxes.find(idOrPrefix);
    if (!sandbox) return;
    await Promise.all(this.containers.inSandbox(sandbox.id).map((c) => this.containers.stop(c.id, 0, options)));
    await this.sandboxes.stop(sandbox.id, options);
    await this.refreshNetworkOf(sandbox);
  }

  /** Removes the pod's containers, then the pod; an unknown pod is already removed. */
  async removePodSandbox(idOrPrefix: string, options: Abortable = {}): Promise<void> {
    const sandbox = this.sandboxes.find(idOrPrefix);
    if (!sandbox) return;
    await Promise.all(this.containers.inSandbox(sandbox.id).map((c) => this.containers.remove(c.id, options)));
    await this.sandboxes.remove(sandbox.id, options);
    await this.refreshNetworkOf(sandbox);
  }

  /** New pod-level limits for a pod's cgroup (UpdatePodSandboxResources); its containers keep theirs. */
  updatePodSandboxResources(idOrPrefix: string, resources: SandboxResources): Promise<void> {
    return this.sandboxes.updateResources(idOrPrefix, resources);
  }

  /** A connection to `port` on the pod's loopback, in its network namespace (port-forward). */
  portForward(idOrPrefix: string, port: number): NetnsConnection {
    const sandbox = this.sandboxes.get(idOrPrefix);
    if (sandbox.state !== 'ready') throw new FailedPreconditionError(`pod sandbox ${sandbox.id} is not ready; nothing to forward to`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError(`port ${port} is not a TCP port`);
    return dialInNetns(sandbox.hostNetwork ? undefined : sandbox.namespaces.network, port);
  }

  /**
   * What a pod uses: each container's counters, and the network counters of the pod's namespace
   * read through one of its running containers (a host-network pod has none of its own).
   */
  async podUsage(idOrPrefix: string, options: PodUsageOptions = {}): Promise<PodUsage> {
    const sandbox = this.sandboxes.get(idOrPrefix);
    const metrics = options.metrics ?? false;
    const [containers, podCgroup] = await Promise.all([
      Promise.all(this.containers.inSandbox(sandbox.id).map(async (record) => ({ record, usage: await this.containers.usage(record.id, { metrics }) }))),
      metrics ? this.sandboxes.cgroupUsage(sandbox) : undefined,
    ]);
    let network: InterfaceCounters[] | undefined;
    if (!sandbox.hostNetwork && !metrics) {
      for (const { record } of containers) {
        const pid = await this.containers.pid(record.id).catch(() => undefined);
        network = pid ? await readNetDev(pid) : undefined;
        if (network) break;
      }
    }
    return { sandbox, containers, network: network?.filter((i) => i.name !== 'lo'), podCgroup };
  }

  /**
   * What the image store uses (blobs, image records, unpacked layers and the writable layers
   * beside them), for ImageFsInfo, on the filesystem named by its mount point (what the kubelet
   * and cAdvisor look capacity up by).
   */
  async imageFilesystem(): Promise<FilesystemUsage> {
    const root = this.config.rootDir;
    this.storeUsage ??= new StoreUsage({ dirs: ['content', 'images', 'snapshots'].map((dir) => join(root, dir)), logger: this.logger });
    const [usage, mountpoint] = await Promise.all([this.storeUsage.usage(), hostMountPointOf(root)]);
    return { mountpoint, usedBytes: usage.bytes, inodesUsed: usage.inodes };
  }

  async close(): Promise<void> {
    this.containers.close();
    await this.ports.close();
    await this.lock.release();
    this.logger.info('runtime closed');
  }
}
