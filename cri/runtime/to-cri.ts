// Runtime records → CRI messages, shared by the status and list RPCs.
import type { Container, ContainerStatus, PodSandbox, PodSandboxStatus } from '../../api/cri/messages.js';
import type { ContainerRecord } from '../../runtime/containers/container-record.js';
import type { SandboxRecord } from '../../runtime/sandbox/sandbox-record.js';

export function sandboxState(record: SandboxRecord): 'SANDBOX_READY' | 'SANDBOX_NOTREADY' {
  return record.state === 'ready' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY';
}

export function toPodSandbox(record: SandboxRecord): PodSandbox {
  return {
    id: record.id,
    metadata: record.config.metadata,
    state: sandboxState(record),
    createdAt: record.createdAt,
    labels: record.labels,
    annotations: record.config.annotations,
    runtimeHandler: record.runtimeHandler,
  };
}

export function toPodSandboxStatus(record: SandboxRecord): PodSandboxStatus {
  const [ip = '', ...additional] = record.state === 'ready' ? record.ips : [];
  const options = record.config.linux?.securityContext?.namespaceOptions;
  return {
    ...toPodSandbox(record),
    network: { ip, additionalIps: additional.map((extra) => ({ ip: extra })) },
    linux: {
      namespaces: {
        options: {
          network: options?.network ?? 'POD',
          pid: options?.pid ?? 'CONTAINER',
          ipc: options?.ipc ?? 'POD',
          targetId: options?.targetId ?? '',
        },
      },
    },
  };
}

const containerStates = { created: 'CONTAINER_CREATED', running: 'CONTAINER_RUNNING', exited: 'CONTAINER_EXITED' } as const;

/** The CRI state of a container record (what ListContainers' state filter compares). */
export function containerState(record: ContainerRecord): (typeof containerStates)[ContainerRecord['state']] {
  return containerStates[record.state];
}

export function toContainer(record: ContainerRecord): Container {
  return {
    id: record.id,
    podSandboxId: record.sandboxId,
    metadata: record.config.metadata,
    image: { image: record.image.requested },
    imageRef: record.image.ref,
    imageId: record.image.id,
    state: containerStates[record.state],
    createdAt: record.createdAt,
    labels: record.labels,
    annotations: record.config.annotations,
  };
}

export function toContainerStatus(record: ContainerRecord): ContainerStatus {
  return {
    id: record.id,
    metadata: record.config.metadata,
    state: containerStates[record.state],
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    exitCode: record.exitCode,
    image: { image: record.image.requested },
    imageRef: record.image.ref,
    imageId: record.image.id,
    reason: record.reason,
    message: record.message,
    labels: record.labels,
    annotations: record.config.annotations,
    mounts: record.config.mounts,
    logPath: record.logPath,
    // The limits in force, UpdateContainerResources included (the kubelet's in-place resize reads them).
    ...(record.resources ? { resources: { linux: record.resources } } : {}),
  };
}

/** Every key=value of `selector` is in `labels`. */
export function matchesLabels(labels: Record<string, string>, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}
