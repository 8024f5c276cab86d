// A promise-based CRI client over a unix socket: what berth's kubelet and benchmarks use to
// drive any CRI runtime (berth's, containerd's, CRI-O's). It never imports server code.
import { credentials, status as GrpcStatus, type Client, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { BerthError, type ErrorCode } from '../../common/errors.js';
import { loadCri } from '../../api/cri/load.js';
import type * as cri from '../../api/cri/messages.js';

const codeOf: Partial<Record<GrpcStatus, ErrorCode>> = {
  [GrpcStatus.NOT_FOUND]: 'NOT_FOUND',
  [GrpcStatus.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [GrpcStatus.ALREADY_EXISTS]: 'ALREADY_EXISTS',
  [GrpcStatus.FAILED_PRECONDITION]: 'FAILED_PRECONDITION',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'RESOURCE_EXHAUSTED',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'DEADLINE_EXCEEDED',
  [GrpcStatus.CANCELLED]: 'CANCELLED',
  [GrpcStatus.UNAVAILABLE]: 'UNAVAILABLE',
  [GrpcStatus.UNIMPLEMENTED]: 'UNIMPLEMENTED',
  [GrpcStatus.PERMISSION_DENIED]: 'PERMISSION_DENIED',
};

/** A failed CRI call as a typed error carrying the remote message and the RPC name. */
export class CriCallError extends BerthError {
  constructor(
    readonly method: string,
    readonly grpcCode: GrpcStatus,
    message: string,
  ) {
    super(codeOf[grpcCode] ?? 'INTERNAL', `${method}: ${message}`);
  }
}

type Callback<T> = (error: ServiceError | null, response?: T) => void;
type UnaryMethod<Req, Res> = (request: Req, options: { deadline: number }, callback: Callback<Res>) => { cancel(): void };
type StreamMethod<Req> = (request: Req, options: { deadline?: number }) => ClientReadableStream<unknown>;

/** An open GetContainerEvents stream. */
export interface EventSubscription {
  /** Resolves when the stream ends: undefined when cancelled, else why it ended. */
  ended: Promise<CriCallError | undefined>;
  cancel(): void;
}

export interface CriClientOptions {
  /** unix:///run/berth/berth.sock, or a bare socket path. */
  endpoint: string;
  /**
   * Each call's deadline (the kubelet's --runtime-request-timeout, 2 minutes by default, as
   * upstream). StopContainer and ExecSync get their own timeout on top; PullImage has none.
   */
  timeoutMs?: number;
}

/** How one call is bounded: its deadline (Infinity: none) and a signal that cancels it. */
/**
 * One unary call of a grpc-js client (the CRI's and berth.v1.Images'), its failure as a
 * CriCallError. A call whose signal aborts is cancelled, which ends it on the server too: there
 * its own signal aborts the runtime's work.
 */
export function callUnary<Req, Res>(client: Client, method: string, request: Req, timeoutMs: number, signal?: AbortSignal): Promise<Res> {
  const fn = (client as unknown as Record<string, UnaryMethod<Req, Res>>)[method];
  if (!fn) return Promise.reject(new Error(`CRI client has no method ${method}`));
  if (signal?.aborted) return Promise.reject(new CriCallError(method, GrpcStatus.CANCELLED, 'cancelled before it was sent'));
  return new Promise((resolve, reject) => {
    const cancel = (): void => call.cancel();
    const call = fn.call(client, request, { deadline: timeoutMs === Infinity ? Infinity : Date.now() + timeoutMs }, (error, response) => {
      signal?.removeEventListener('abort', cancel);
      if (error) reject(new CriCallError(method, error.code, error.details || error.message));
      else resolve(response as Res);
    });
    signal?.addEventListener('abort', cancel, { once: true });
  });
}

interface CallLimits {
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
}

export class CriClient {
  private readonly runtime: Client;
  private readonly image: Client;
  private readonly timeoutMs: number;

  constructor(options: CriClientOptions) {
    const target = options.endpoint.startsWith('unix:') ? options.endpoint : `unix://${options.endpoint}`;
    const { grpcType } = loadCri();
    const channelOptions = { 'grpc.max_receive_message_length': 64 * 1024 * 1024 };
    this.runtime = new grpcType.runtime.v1.RuntimeService(target, credentials.createInsecure(), channelOptions);
    this.image = new grpcType.runtime.v1.ImageService(target, credentials.createInsecure(), channelOptions);
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  private call<Req, Res>(client: Client, method: string, request: Req, limits: CallLimits = {}): Promise<Res> {
    return callUnary(client, method, request, limits.timeoutMs ?? this.timeoutMs, limits.signal);
  }

  /** Collects every message of a server-streaming call (the Stream* list RPCs). */
  private collect<Req, Res>(client: Client, method: string, request: Req): Promise<Res[]> {
    const fn = (client as unknown as Record<string, StreamMethod<Req>>)[method];
    if (!fn) return Promise.reject(new Error(`CRI client has no method ${method}`));
    return new Promise((resolve, reject) => {
      const messages: Res[] = [];
      const stream = fn.call(client, request, { deadline: Date.now() + this.timeoutMs });
      stream.on('data', (message: Res) => messages.push(message));
      stream.on('error', (error: ServiceError) => reject(new CriCallError(method, error.code, error.details || error.message)));
      stream.on('end', () => resolve(messages));
    });
  }

  /** GetContainerEvents: `onEvent` for each event until cancel() or the stream ends. */
  containerEvents(onEvent: (event: cri.ContainerEventResponse__Output) => void): EventSubscription {
    const fn = (this.runtime as unknown as Record<string, StreamMethod<cri.GetEventsRequest>>)['GetContainerEvents'];
    if (!fn) throw new Error('CRI client has no method GetContainerEvents');
    const stream = fn.call(this.runtime, {}, {});
    let cancelled = false;
    const ended = new Promise<CriCallError | undefined>((resolve) => {
      stream.on('data', (event: cri.ContainerEventResponse__Output) => onEvent(event));
      stream.on('error', (error: ServiceError) => resolve(cancelled ? undefined : new CriCallError('GetContainerEvents', error.code, error.details || error.message)));
      stream.on('end', () => resolve(cancelled ? undefined : new CriCallError('GetContainerEvents', GrpcStatus.UNAVAILABLE, 'the runtime ended the event stream')));
    });
    return {
      ended,
      cancel: () => {
        cancelled = true;
        stream.cancel();
      },
    };
  }

  streamContainers(filter?: cri.ContainerFilter): Promise<cri.StreamContainersResponse__Output[]> {
    return this.collect(this.runtime, 'StreamContainers', { filter: filter ?? null });
  }
  streamPodSandboxes(filter?: cri.PodSandboxFilter): Promise<cri.StreamPodSandboxesResponse__Output[]> {
    return this.collect(this.runtime, 'StreamPodSandboxes', { filter: filter ?? null });
  }
  streamImages(): Promise<cri.StreamImagesResponse__Output[]> {
    return this.collect(this.image, 'StreamImages', { filter: null });
  }

  version(): Promise<cri.VersionResponse__Output> {
    return this.call(this.runtime, 'Version', {});
  }
  runtimeConfig(): Promise<cri.RuntimeConfigResponse__Output> {
    return this.call(this.runtime, 'RuntimeConfig', {});
  }
  status(verbose = false): Promise<cri.StatusResponse__Output> {
    return this.call(this.runtime, 'Status', { verbose });
  }
  runPodSandbox(config: cri.PodSandboxConfig, runtimeHandler = ''): Promise<cri.RunPodSandboxResponse__Output> {
    return this.call(this.runtime, 'RunPodSandbox', { config, runtimeHandler });
  }
  stopPodSandbox(podSandboxId: string): Promise<cri.StopPodSandboxResponse__Output> {
    return this.call(this.runtime, 'StopPodSandbox', { podSandboxId });
  }
  removePodSandbox(podSandboxId: string): Promise<cri.RemovePodSandboxResponse__Output> {
    return this.call(this.runtime, 'RemovePodSandbox', { podSandboxId });
  }
  podSandboxStatus(podSandboxId: string, verbose = false): Promise<cri.PodSandboxStatusResponse__Output> {
    return this.call(this.runtime, 'PodSandboxStatus', { podSandboxId, verbose });
  }
  listPodSandbox(filter?: cri.PodSandboxFilter): Promise<cri.ListPodSandboxResponse__Output> {
    return this.call(this.runtime, 'ListPodSandbox', { filter: filter ?? null });
  }
  createContainer(podSandboxId: string, config: cri.ContainerConfig, sandboxConfig: cri.PodSandboxConfig): Promise<cri.CreateContainerResponse__Output> {
    return this.call(this.runtime, 'CreateContainer', { podSandboxId, config, sandboxConfig });
  }
  startContainer(containerId: string): Promise<cri.StartContainerResponse__Output> {
    return this.call(this.runtime, 'StartContainer', { containerId });
  }
  stopContainer(containerId: string, timeoutSeconds: number): Promise<cri.StopContainerResponse__Output> {
    return this.call(this.runtime, 'StopContainer', { containerId, timeout: timeoutSeconds }, { timeoutMs: this.timeoutMs + timeoutSeconds * 1000 });
  }
  removeContainer(containerId: string): Promise<cri.RemoveContainerResponse__Output> {
    return this.call(this.runtime, 'RemoveContainer', { containerId });
  }
  containerStatus(containerId: string, verbose = false): Promise<cri.ContainerStatusResponse__Output> {
    return this.call(this.runtime, 'ContainerStatus', { containerId, verbose });
  }
  listContainers(filter?: cri.ContainerFilter): Promise<cri.ListContainersResponse__Output> {
    return this.call(this.runtime, 'ListContainers', { filter: filter ?? null });
  }
  listContainerStats(filter?: cri.ContainerStatsFilter): Promise<cri.ListContainerStatsResponse__Output> {
    return this.call(this.runtime, 'ListContainerStats', { filter: filter ?? null });
  }
  exec(request: cri.ExecRequest): Promise<cri.ExecResponse__Output> {
    return this.call(this.runtime, 'Exec', request);
  }
  attach(request: cri.AttachRequest): Promise<cri.AttachResponse__Output> {
    return this.call(this.runtime, 'Attach', request);
  }
  portForward(podSandboxId: string, port: number[]): Promise<cri.PortForwardResponse__Output> {
    return this.call(this.runtime, 'PortForward', { podSandboxId, port });
  }
  podSandboxStats(podSandboxId: string): Promise<cri.PodSandboxStatsResponse__Output> {
    return this.call(this.runtime, 'PodSandboxStats', { podSandboxId });
  }
  listPodSandboxStats(filter?: cri.PodSandboxStatsFilter): Promise<cri.ListPodSandboxStatsResponse__Output> {
    return this.call(this.runtime, 'ListPodSandboxStats', { filter: filter ?? null });
  }
  listMetricDescriptors(): Promise<cri.ListMetricDescriptorsResponse__Output> {
    return this.call(this.runtime, 'ListMetricDescriptors', {});
  }
  listPodSandboxMetrics(): Promise<cri.ListPodSandboxMetricsResponse__Output> {
    return this.call(this.runtime, 'ListPodSandboxMetrics', {});
  }
  reopenContainerLog(containerId: string): Promise<cri.ReopenContainerLogResponse__Output> {
    return this.call(this.runtime, 'ReopenContainerLog', { containerId });
  }
  containerStats(containerId: string): Promise<cri.ContainerStatsResponse__Output> {
    return this.call(this.runtime, 'ContainerStats', { containerId });
  }
  updateContainerResources(containerId: string, linux: cri.LinuxContainerResources): Promise<cri.UpdateContainerResourcesResponse__Output> {
    return this.call(this.runtime, 'UpdateContainerResources', { containerId, linux });
  }
  updatePodSandboxResources(podSandboxId: string, resources: cri.LinuxContainerResources, overhead?: cri.LinuxContainerResources): Promise<cri.UpdatePodSandboxResourcesResponse__Output> {
    return this.call(this.runtime, 'UpdatePodSandboxResources', { podSandboxId, resources, overhead: overhead ?? null });
  }
  execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<cri.ExecSyncResponse__Output> {
    return this.call(this.runtime, 'ExecSync', { containerId, cmd, timeout: timeoutSeconds }, { timeoutMs: this.timeoutMs + timeoutSeconds * 1000 });
  }
  /**
   * No deadline, as upstream's kubelet (a large image on a slow link takes what it takes); the
   * caller cancels it with `signal` (the kubelet: when the pod is deleted), which stops the pull
   * in the runtime too.
   */
  pullImage(image: string, auth?: cri.AuthConfig, sandboxConfig?: cri.PodSandboxConfig, options: { signal?: AbortSignal } = {}): Promise<cri.PullImageResponse__Output> {
    const request = { image: { image }, auth: auth ?? null, sandboxConfig: sandboxConfig ?? null };
    return this.call(this.image, 'PullImage', request, { timeoutMs: Infinity, signal: options.signal });
  }
  imageStatus(image: string, verbose = false): Promise<cri.ImageStatusResponse__Output> {
    return this.call(this.image, 'ImageStatus', { image: { image }, verbose });
  }
  listImages(filter?: cri.ImageFilter): Promise<cri.ListImagesResponse__Output> {
    return this.call(this.image, 'ListImages', { filter: filter ?? null });
  }
  removeImage(image: string): Promise<cri.RemoveImageResponse__Output> {
    return this.call(this.image, 'RemoveImage', { image: { image } });
  }
  imageFsInfo(): Promise<cri.ImageFsInfoResponse__Output> {
    return this.call(this.image, 'ImageFsInfo', {});
  }

  close(): void {
    this.runtime.close();
    this.image.close();
  }
}
