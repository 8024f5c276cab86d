// A recording CriPort for unit tests of the pod worker: keeps sandboxes and containers in memory
// with the CRI's state rules, records every call in order, and lets a test make containers exit.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { CriCallError } from '../../../cri/client/cri-client.js';
import type { CriPort } from '../../../kubelet/cri-port.js';
import type { ContainerConfig, PodSandboxConfig } from '../../../api/cri/messages.js';

interface FakeSandbox {
  id: string;
  config: PodSandboxConfig;
  ready: boolean;
  createdAt: number;
}

interface FakeContainer {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  state: 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED';
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
}

const ns = (ms: number): string => String(BigInt(ms) * 1_000_000n);
const matches = (labels: Record<string, string> | undefined, selector: Record<string, string> | undefined): boolean => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

export class RecordingCri {
  readonly calls: string[] = [];
  /** The reads (lists and status calls), apart from the calls above: what a sync costs the runtime. */
  readonly reads: string[] = [];
  /** What every execSync answers (hooks and probes). */
  execExitCode = 0;
  readonly sandboxes = new Map<string, FakeSandbox>();
  readonly containers = new Map<string, FakeContainer>();
  readonly images = new Set<string>();
  private next = 0;
  nowMs = 1_000_000;

  /** Makes a running container exit with `exitCode` at the current time. */
  exit(containerName: string, exitCode: number): void {
    const running = [...this.containers.values()].find((c) => c.config.metadata?.name === containerName && c.state === 'CONTAINER_RUNNING');
    if (!running) throw new Error(`no running container ${containerName}`);
    running.state = 'CONTAINER_EXITED';
    running.exitCode = exitCode;
    running.finishedAt = this.nowMs;
  }

  /** Records a list call; returns nothing so the list itself follows with `??`. */
  private read(call: string): undefined {
    this.reads.push(call);
    return undefined;
  }

  running(): string[] {
    return [...this.containers.values()].filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => `${c.config.metadata?.name ?? ''}#${c.config.metadata?.attempt ?? 0}`);
  }

  port(): CriPort {
    const cri: Record<keyof CriPort, (...args: never[]) => unknown> = {
      version: async () => ({ version: '0.1.0', runtimeName: 'fake', runtimeVersion: '1.0', runtimeApiVersion: 'v1' }),
      status: async () => ({ status: { conditions: [] }, info: {} }),
      runtimeConfig: async () => ({ linux: { cgroupDriver: 'CGROUPFS' } }),
      runPodSandbox: async (config: PodSandboxConfig) => {
        const id = `sandbox-${++this.next}`;
        this.calls.push(`runPodSandbox ${config.metadata?.name ?? ''} attempt=${config.metadata?.attempt ?? 0}`);
        this.sandboxes.set(id, { id, config, ready: true, createdAt: this.nowMs + this.next });
        return { podSandboxId: id };
      },
      stopPodSandbox: async (id: string) => {
        this.calls.push(`stopPodSandbox ${id}`);
        const sandbox = this.sandboxes.get(id);
        if (sandbox) sandbox.ready = false;
        for (const c of this.containers.values()) if (c.sandboxId === id && c.state === 'CONTAINER_RUNNING') Object.assign(c, { state: 'CONTAINER_EXITED', exitCode: 137, finishedAt: this.nowMs });
        return {};
      },
      removePodSandbox: async (id: string) => {
        this.calls.push(`removePodSandbox ${id}`);
        this.sandboxes.delete(id);
        for (const [cid, c] of this.containers) if (c.sandboxId === id) this.containers.delete(cid);
        return {};
      },
      podSandboxStatus: async (id: string) => {
        this.reads.push(`podSandboxStatus ${id}`);
        const sandbox = this.sandboxes.get(id);
        return { status: { id, network: { ip: sandbox?.ready ? '10.0.0.5' : '', additionalIps: [] } }, info: {}, containersStatuses: [], timestamp: '0' };
      },
      listPodSandbox: async (filter?: { labelSelector?: Record<string, string> }) => ({
        items:
          this.read('listPodSandbox') ??
          [...this.sandboxes.values()]
            .filter((s) => matches(s.config.labels, filter?.labelSelector))
            .map((s) => ({
              id: s.id,
              metadata: { name: s.config.metadata?.name ?? '', namespace: s.config.metadata?.namespace ?? '', uid: s.config.metadata?.uid ?? '', attempt: s.config.metadata?.attempt ?? 0 },
              state: s.ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
              createdAt: ns(s.createdAt),
              labels: s.config.labels ?? {},
              annotations: {},
              runtimeHandler: '',
            })),
      }),
      createContainer: async (sandboxId: string, config: ContainerConfig) => {
        const id = `container-${++this.next}`;
        this.calls.push(`createContainer ${config.metadata?.name ?? ''} attempt=${config.metadata?.attempt ?? 0}`);
        this.containers.set(id, { id, sandboxId, config, state: 'CONTAINER_CREATED', createdAt: this.nowMs, startedAt: 0, finishedAt: 0, exitCode: 0 });
        return { containerId: id };
      },
      startContainer: async (id: string) => {
        const container = this.containers.get(id);
        this.calls.push(`startContainer ${container?.config.metadata?.name ?? id}`);
        if (container) Object.assign(container, { state: 'CONTAINER_RUNNING', startedAt: this.nowMs });
        return {};
      },
      stopContainer: async (id: string, timeout: number) => {
        const container = this.containers.get(id);
        this.calls.push(`stopContainer ${container?.config.metadata?.name ?? id} grace=${timeout}`);
        if (container?.state === 'CONTAINER_RUNNING') Object.assign(container, { state: 'CONTAINER_EXITED', exitCode: 143, finishedAt: this.nowMs });
        return {};
      },
      removeContainer: async (id: string) => {
        const container = this.containers.get(id);
        this.calls.push(`removeContainer ${container?.config.metadata?.name ?? id}`);
        this.containers.delete(id);
        return {};
      },
      containerStatus: async (id: string) => {
        this.reads.push(`containerStatus ${id}`);
        const c = this.containers.get(id);
        if (!c) throw new Error(`no container ${id}`);
        return {
          status: {
            id,
            metadata: { name: c.config.metadata?.name ?? '', attempt: c.config.metadata?.attempt ?? 0 },
            state: c.state,
            createdAt: ns(c.createdAt),
            startedAt: ns(c.startedAt),
            finishedAt: ns(c.finishedAt),
            exitCode: c.exitCode,
            imageRef: `sha256:${c.config.image?.image ?? ''}`,
            reason: '',
            message: '',
            labels: c.config.labels ?? {},
          },
          info: {},
        };
      },
      listContainers: async (filter?: { labelSelector?: Record<string, string> }) => ({
        containers:
          this.read('listContainers') ??
          [...this.containers.values()]
            .filter((c) => matches(c.config.labels, filter?.labelSelector))
            .map((c) => ({
              id: c.id,
              podSandboxId: c.sandboxId,
              metadata: { name: c.config.metadata?.name ?? '', attempt: c.config.metadata?.attempt ?? 0 },
              state: c.state,
              createdAt: ns(c.createdAt),
              labels: c.config.labels ?? {},
              annotations: {},
              imageRef: '',
            })),
      }),
      pullImage: async (image: string) => {
        this.calls.push(`pullImage ${image}`);
        this.images.add(image);
        return { imageRef: `sha256:${image}` };
      },
      imageStatus: async (image: string) => ({ image: this.images.has(image) ? { id: image } : null, info: {} }),
      listContainerStats: async () => ({ stats: [] }),
      listPodSandboxStats: async () => ({ stats: [] }),
      listMetricDescriptors: async () => ({ descriptors: [] }),
      listPodSandboxMetrics: async () => ({ podMetrics: [] }),
      execSync: async (id: string, cmd: string[]) => {
        this.calls.push(`execSync ${this.containers.get(id)?.config.metadata?.name ?? id} ${cmd.join(' ')}`);
        return { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: this.execExitCode };
      },
      exec: async (request: { containerId: string; cmd: string[] }) => {
        this.calls.push(`exec ${this.containers.get(request.containerId)?.config.metadata?.name ?? request.containerId} ${request.cmd.join(' ')}`);
        return { url: `http://127.0.0.1:1/exec/${request.containerId}` };
      },
      attach: async (request: { containerId: string }) => {
        this.calls.push(`attach ${this.containers.get(request.containerId)?.config.metadata?.name ?? request.containerId}`);
        return { url: `http://127.0.0.1:1/attach/${request.containerId}` };
      },
      // As containerd 1.6 answers: no event stream, the kubelet relists only.
      containerEvents: () => ({ ended: Promise.resolve(new CriCallError('GetContainerEvents', GrpcStatus.UNIMPLEMENTED, 'not implemented')), cancel: () => undefined }),
      portForward: async (sandboxId: string, ports: number[]) => {
        this.calls.push(`portForward ${sandboxId} ${ports.join(',')}`);
        return { url: `http://127.0.0.1:1/portforward/${sandboxId}` };
      },
    };
    return cri as unknown as CriPort;
  }
}
