// What the runtime holds for one pod, read through the CRI by the pod uid label: the kubelet keeps
// no record of its own, so after a restart it finds its sandboxes and containers again.
import type { Container__Output, ContainerStatus__Output, PodSandbox__Output } from '../api/cri/messages.js';
import type { CriPort } from './cri-port.js';
import { containerNameLabel, podUidLabel } from './cri-port.js';

export interface ObservedSandbox {
  id: string;
  attempt: number;
  ready: boolean;
  createdAtMs: number;
  /** Empty when the sandbox is not ready or has no network (host network). */
  ip: string;
  /** name/namespace from the sandbox metadata: enough to clean up a pod no source knows. */
  name: string;
  namespace: string;
}

export type ObservedContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ObservedContainer {
  id: string;
  sandboxId: string;
  name: string;
  /** The restart count it was created with (CRI metadata attempt). */
  attempt: number;
  state: ObservedContainerState;
  exitCode: number;
  reason: string;
  message: string;
  createdAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
  imageRef: string;
}

export interface ObservedPod {
  /** Newest first. */
  sandboxes: ObservedSandbox[];
  /** Newest attempt first per name. */
  containers: ObservedContainer[];
}

/** CRI timestamps are int64 nanoseconds, decoded as decimal strings. */
export function nanosToMs(value: string | number): number {
  const text = String(value);
  if (text === '' || text === '0') return 0;
  return Number(BigInt(text) / 1_000_000n);
}

const containerStates: Record<string, ObservedContainerState> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

export function sandboxFromList(sandbox: PodSandbox__Output): ObservedSandbox {
  return {
    id: sandbox.id,
    attempt: sandbox.metadata?.attempt ?? 0,
    ready: sandbox.state === 'SANDBOX_READY',
    createdAtMs: nanosToMs(sandbox.createdAt),
    ip: '',
    name: sandbox.metadata?.name ?? '',
    namespace: sandbox.metadata?.namespace ?? '',
  };
}

function containerFromList(container: Container__Output): ObservedContainer {
  return {
    id: container.id,
    sandboxId: container.podSandboxId,
    name: container.metadata?.name ?? container.labels[containerNameLabel] ?? '',
    attempt: container.metadata?.attempt ?? 0,
    state: containerStates[container.state] ?? 'unknown',
    exitCode: 0,
    reason: '',
    message: '',
    createdAtMs: nanosToMs(container.createdAt),
    startedAtMs: 0,
    finishedAtMs: 0,
    imageRef: container.imageRef,
  };
}

/** One pod's state from its listed sandboxes and containers, with the details only the status calls give. */
/** What an exited container left as its termination message (termination-message.ts). */
export type TerminationMessageReader = (status: ContainerStatus__Output) => Promise<string>;

export async function inspectPod(
  cri: Pick<CriPort, 'podSandboxStatus' | 'containerStatus'>,
  sandboxItems: readonly PodSandbox__Output[],
  containerItems: readonly Container__Output[],
  terminationMessage?: TerminationMessageReader,
): Promise<ObservedPod> {
  const sandboxes = sandboxItems.map(sandboxFromList).sort((a, b) => b.createdAtMs - a.createdAtMs || b.attempt - a.attempt);
  const newest = sandboxes[0];
  if (newest?.ready) {
    const status = await cri.podSandboxStatus(newest.id).catch(() => undefined);
    newest.ip = status?.status?.network?.ip ?? '';
  }
  const containers = await Promise.all(
    containerItems.map(async (listed) => {
      const container = containerFromList(listed);
      // Exit codes and times are only in ContainerStatus; a container removed meanwhile keeps its listing.
      const status = await cri.containerStatus(listed.id).catch(() => undefined);
      const s = status?.status;
      if (s) {
        container.state = containerStates[s.state] ?? container.state;
        container.exitCode = s.exitCode;
        container.reason = s.reason;
        container.message = s.message;
        const message = s.state === 'CONTAINER_EXITED' && terminationMessage ? await terminationMessage(s).catch(() => '') : '';
        // As upstream: the runtime's message, then what the container left.
        if (message) container.message = s.message ? `${s.message}: ${message}` : message;
        container.startedAtMs = nanosToMs(s.startedAt);
        container.finishedAtMs = nanosToMs(s.finishedAt);
        container.imageRef = s.imageRef || container.imageRef;
      }
      return container;
    }),
  );
  containers.sort((a, b) => b.attempt - a.attempt || b.createdAtMs - a.createdAtMs);
  return { sandboxes, containers };
}

/** One pod's state read through the CRI by its uid label. */
export async function observePod(cri: CriPort, uid: string, terminationMessage?: TerminationMessageReader): Promise<ObservedPod> {
  const selector = { labelSelector: { [podUidLabel]: uid } };
  const [sandboxList, containerList] = await Promise.all([cri.listPodSandbox(selector), cri.listContainers(selector)]);
  return inspectPod(cri, sandboxList.items, containerList.containers, terminationMessage);
}

/** The newest instance of container `name`, optionally only in sandbox `sandboxId`. */
export function latestContainer(observed: ObservedPod, name: string, sandboxId?: string): ObservedContainer | undefined {
  return observed.containers.find((c) => c.name === name && (sandboxId === undefined || c.sandboxId === sandboxId));
}
