// The kubelet side of the device-plugin API (v1beta1). A plugin (NVIDIA's, SR-IOV's, upstream's
// sample, ...) serves DevicePlugin on a socket in the device-plugin directory and calls Register
// on the kubelet's socket there; the kubelet dials it back, follows ListAndWatch for its devices
// (the healthy ones are the resource's capacity on the Node and in admission) and, for a container
// whose limits ask for N of the resource, picks N devices no other container holds and asks the
// plugin (Allocate, then PreStartContainer when the plugin wants it) what the container needs.
// GetPreferredAllocation is not asked: the kubelet may skip it, and the plugins at hand here
// (upstream's sample) do not offer it.
// The devices travel with the container as a CRI annotation, so a restarted kubelet keeps them.
import { credentials, Server, ServerCredentials, status as GrpcStatus, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { UnavailableError } from '../../common/errors.js';
import { DeviceAllocator } from './device-allocator.js';
import type { Logger } from '../../common/logger.js';
import {
  devicePluginApiVersion,
  kubeletSocketName,
  loadDevicePluginApi,
  type ContainerAllocateResponse__Output,
  type DevicePluginClient,
  type DevicePluginOptions__Output,
  type ListAndWatchResponse__Output,
  type RegisterRequest__Output,
} from './plugin-api.js';

/** Container annotation with the plugin devices the kubelet gave it: {"<resource>": ["<id>", ...]}. */
export const pluginDevicesAnnotation = 'berth.dev/kubelet-plugin-devices';

const healthy = 'Healthy';
const callTimeoutMs = 10_000;
// An extended resource name: a DNS-subdomain prefix, a slash, a name; not in kubernetes.io.
const resourceNamePattern = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

interface Plugin {
  resource: string;
  endpoint: string;
  client: DevicePluginClient;
  options: DevicePluginOptions__Output;
  /** Device id → health, as the last ListAndWatch answer gave them. */
  devices: Map<string, string>;
  stream: ClientReadableStream<ListAndWatchResponse__Output> | undefined;
}

/** Why a registration is refused; undefined when it is acceptable. */
export function registrationProblem(request: Pick<RegisterRequest__Output, 'version' | 'endpoint' | 'resourceName'>): string | undefined {
  if (request.version !== devicePluginApiVersion) {
    return `device plugin API version ${JSON.stringify(request.version)} is not supported: this kubelet speaks ${devicePluginApiVersion}`;
  }
  if (!resourceNamePattern.test(request.resourceName) || request.resourceName.length > 253) {
    return `resource name ${JSON.stringify(request.resourceName)} is not an extended resource name like vendor.example/device`;
  }
  const domain = request.resourceName.slice(0, request.resourceName.indexOf('/'));
  if (domain === 'kubernetes.io' || domain.endsWith('.kubernetes.io') || domain === 'requests') {
    return `resource name ${JSON.stringify(request.resourceName)} is in a domain reserved for Kubernetes`;
  }
  if (request.endpoint === '' || request.endpoint.includes('/') || request.endpoint === '.' || request.endpoint === '..' || request.endpoint === kubeletSocketName) {
    return `endpoint ${JSON.stringify(request.endpoint)} must be the name of the plugin's socket in the device-plugin directory`;
  }
  return undefined;
}

export class DevicePlugins {
  private readonly plugins = new Map<string, Plugin>();
  /** One allocator per resource, kept across a plugin's re-registrations and a kubelet restart. */
  private readonly allocators = new Map<string, DeviceAllocator>();
  private server: Server | undefined;

  constructor(private readonly deps: { dir: string; logger: Logger }) {}

  get socketPath(): string {
    return join(this.deps.dir, kubeletSocketName);
  }

  /** Serves Registration on <dir>/kubelet.sock; a stale socket of an earlier kubelet is replaced. */
  async start(): Promise<void> {
    await mkdir(this.deps.dir, { recursive: true, mode: 0o750 });
    await unlink(this.socketPath).catch(() => undefined);
    const api = loadDevicePluginApi();
    const server = new Server();
    server.addService(api.Registration.service, {
      Register: (call: { request: RegisterRequest__Output }, callback: (error: Partial<ServiceError> | null, value?: object) => void) => {
        const problem = registrationProblem(call.request);
        if (problem) {
          this.deps.logger.warn({ resource: call.request.resourceName, endpoint: call.request.endpoint }, `device plugin refused: ${problem}`);
          callback({ code: GrpcStatus.INVALID_ARGUMENT, details: problem });
          return;
        }
        callback(null, {});
        this.connect(call.request);
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix://${this.socketPath}`, ServerCredentials.createInsecure(), (error) =>
        error ? reject(new UnavailableError(`cannot serve device-plugin registration on ${this.socketPath}: ${error.message} (an empty --device-plugin-dir turns device plugins off)`)) : resolve(),
      );
    });
    this.server = server;
    this.deps.logger.info({ socket: this.socketPath }, 'device-plugin registration served');
  }

  async stop(): Promise<void> {
    for (const plugin of this.plugins.values()) this.disconnect(plugin);
    this.plugins.clear();
    this.server?.forceShutdown();
    this.server = undefined;
    await unlink(this.socketPath).catch(() => undefined);
  }

  /** Healthy devices by resource name: what the Node advertises and admission counts. */
  resources(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const resource of this.plugins.keys()) out[resource] = this.healthy(resource).length;
    return out;
  }

  serves(resource: string): boolean {
    return this.plugins.has(resource);
  }

  /**
   * The plugin's answer for a container given `count` devices of `resource`: the same devices as
   * before when the container restarts, else healthy ones no other container holds (held before
   * the plugin is asked, so pods starting side by side never share one).
   */
  async allocate(podUid: string, container: string, resource: string, count: number): Promise<{ ids: readonly string[]; response: ContainerAllocateResponse__Output }> {
    const plugin = this.plugins.get(resource);
    if (!plugin) throw new UnavailableError(`no device plugin serves ${resource} on this node`);
    const allocator = this.allocator(resource);
    const before = allocator.held(podUid, container);
    const ids = allocator.allocate(podUid, container, count);
    try {
      const response = await this.call<{ containerResponses: ContainerAllocateResponse__Output[] }>((done) =>
        plugin.client.Allocate({ containerRequests: [{ devicesIds: [...ids] }] }, { deadline: Date.now() + callTimeoutMs }, done),
      );
      const answer = response.containerResponses[0];
      if (!answer) throw new UnavailableError(`device plugin for ${resource} answered Allocate with no container response`);
      if (plugin.options.preStartRequired) {
        await this.call((done) => plugin.client.PreStartContainer({ devicesIds: [...ids] }, { deadline: Date.now() + callTimeoutMs }, done));
      }
      return { ids, response: answer };
    } catch (error) {
      if (ids !== before) allocator.forget(podUid, container);
      throw error;
    }
  }

  /** The annotation recording a container's plugin devices, for adopt() after a kubelet restart. */
  annotation(podUid: string, container: string): string | undefined {
    const held = [...this.allocators].flatMap(([resource, allocator]) => {
      const ids = allocator.held(podUid, container);
      return ids ? [[resource, ids] as const] : [];
    });
    return held.length > 0 ? JSON.stringify(Object.fromEntries(held)) : undefined;
  }

  /** A container found in the runtime with plugin devices assigned by an earlier kubelet. */
  adopt(podUid: string, container: string, annotation: string | undefined): void {
    if (!annotation) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(annotation);
    } catch {
      // Not ours to trust: a container whose annotation does not parse keeps no devices.
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    for (const [resource, ids] of Object.entries(parsed)) {
      if (Array.isArray(ids) && ids.every((id) => typeof id === 'string')) this.allocator(resource).adopt(podUid, container, ids.join(','));
    }
  }

  /** Frees every plugin device of the pod. */
  release(podUid: string): void {
    for (const allocator of this.allocators.values()) allocator.release(podUid);
  }

  private healthy(resource: string): string[] {
    return [...(this.plugins.get(resource)?.devices ?? [])].filter(([, health]) => health === healthy).map(([id]) => id);
  }

  private allocator(resource: string): DeviceAllocator {
    let allocator = this.allocators.get(resource);
    if (!allocator) {
      allocator = new DeviceAllocator(() => this.healthy(resource), resource);
      this.allocators.set(resource, allocator);
    }
    return allocator;
  }

  private connect(request: RegisterRequest__Output): void {
    const api = loadDevicePluginApi();
    const previous = this.plugins.get(request.resourceName);
    if (previous) this.disconnect(previous);
    const client = new api.DevicePlugin(`unix://${join(this.deps.dir, request.endpoint)}`, credentials.createInsecure());
    const plugin: Plugin = {
      resource: request.resourceName,
      endpoint: request.endpoint,
      client,
      options: request.options ?? { preStartRequired: false, getPreferredAllocationAvailable: false },
      devices: new Map(),
      stream: undefined,
    };
    this.plugins.set(request.resourceName, plugin);
    this.deps.logger.info({ resource: plugin.resource, endpoint: plugin.endpoint }, 'device plugin registered');
    const stream = client.ListAndWatch({});
    plugin.stream = stream;
    stream.on('data', (answer: ListAndWatchResponse__Output) => {
      plugin.devices = new Map(answer.devices.map((device) => [device.ID, device.health]));
      this.deps.logger.info({ resource: plugin.resource, devices: answer.devices.length }, 'device plugin devices');
    });
    stream.on('error', (error: ServiceError) => {
      if (error.code === GrpcStatus.CANCELLED) return;
      this.lost(plugin, error.details || error.message);
    });
    stream.on('end', () => this.lost(plugin, 'ListAndWatch ended'));
  }

  /** A plugin whose stream ended has no devices until it registers again. */
  private lost(plugin: Plugin, why: string): void {
    if (this.plugins.get(plugin.resource) !== plugin) return;
    plugin.devices = new Map();
    this.deps.logger.warn({ resource: plugin.resource, endpoint: plugin.endpoint }, `device plugin gone (${why}); its devices are unavailable until it registers again`);
  }

  private disconnect(plugin: Plugin): void {
    plugin.stream?.cancel();
    plugin.client.close();
  }

  private call<T>(start: (done: (error: ServiceError | null, value?: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      start((error, value) => {
        if (error) reject(new UnavailableError(`device plugin call failed: ${error.details || error.message}`));
        else resolve(value as T);
      });
    });
  }
}
