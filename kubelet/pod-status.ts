// A pod's API status computed from what the runtime holds (pure). Phase rules follow the upstream
// kubelet's getPhase; a condition keeps its lastTransitionTime while its status holds, so an
// unchanged pod produces an identical status and the status manager writes nothing.
import type { V1Container, V1ContainerState, V1ContainerStatus, V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';
import { initState, isSidecar, type Waiting } from './pod-actions.js';
import { wholeSeconds } from './node-status.js';
import { latestContainer, type ObservedContainer, type ObservedPod } from './pod-runtime-state.js';
import { podQosClass } from './resources.js';

export interface PodStatusInput {
  pod: V1Pod;
  observed: ObservedPod;
  /** Why containers that are not running wait (CrashLoopBackOff, ErrImagePull, ...), by name. */
  waiting: ReadonlyMap<string, Waiting>;
  hostIp: string;
  /** CRI runtime name, the scheme of containerID (containerd://<id>). */
  runtimeName: string;
  startTime: Date;
  previous: V1PodStatus | undefined;
  now: Date;
  /** Probe results by container instance; without it a running container is ready and started. */
  probes?: {
    ready(containerId: string, container: V1Container): boolean;
    started(containerId: string, container: V1Container): boolean;
  };
}

const at = (ms: number): Date => wholeSeconds(new Date(ms));

function terminatedState(c: ObservedContainer, runtimeName: string): V1ContainerState {
  return {
    terminated: {
      exitCode: c.exitCode,
      reason: c.reason || (c.exitCode === 0 ? 'Completed' : 'Error'),
      ...(c.message ? { message: c.message } : {}),
      startedAt: at(c.startedAtMs),
      finishedAt: at(c.finishedAtMs),
      containerID: `${runtimeName}://${c.id}`,
    },
  };
}

/** An init container is ready once it has exited 0; it never has probes. */
function initContainerStatus(input: PodStatusInput, spec: V1Container): V1ContainerStatus {
  // A sidecar reports like an app container: ready by its probes while it runs.
  if (isSidecar(spec)) return containerStatus(input, spec);
  const { probes: _probes, ...withoutProbes } = input;
  const status = containerStatus(withoutProbes, spec);
  const terminated = status.state?.terminated;
  return { ...status, ready: terminated?.exitCode === 0, started: status.state?.running !== undefined };
}

function containerStatus(input: PodStatusInput, spec: V1Container): V1ContainerStatus {
  const { name, image = '' } = spec;
  const { observed, runtimeName } = input;
  const instances = observed.containers.filter((c) => c.name === name);
  const latest = instances[0];
  const previous = instances[1];
  const waiting = input.waiting.get(name);
  let state: V1ContainerState;
  let lastState: V1ContainerState = previous?.state === 'exited' ? terminatedState(previous, runtimeName) : {};
  if (latest?.state === 'running') state = { running: { startedAt: at(latest.startedAtMs) } };
  else if (latest?.state === 'exited' && waiting) {
    state = { waiting: { reason: waiting.reason, message: waiting.message } };
    lastState = terminatedState(latest, runtimeName);
  } else if (latest?.state === 'exited') state = terminatedState(latest, runtimeName);
  else state = { waiting: { reason: waiting?.reason ?? 'ContainerCreating', ...(waiting?.message ? { message: waiting.message } : {}) } };
  return {
    name,
    state,
    lastState,
    ready: latest?.state === 'running' && (input.probes?.ready(latest.id, spec) ?? true),
    started: latest?.state === 'running' && (input.probes?.started(latest.id, spec) ?? true),
    restartCount: latest?.attempt ?? 0,
    image,
    imageID: latest?.imageRef ?? '',
    ...(latest ? { containerID: `${runtimeName}://${latest.id}` } : {}),
  };
}

/** upstream getPhase: waiting beats running, running beats stopped; stopped depends on the policy. */
export function podPhase(pod: V1Pod, observed: ObservedPod): string {
  const init = initState(pod, observed);
  if (!init.done) return init.failed ? 'Failed' : 'Pending';
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const container of pod.spec?.containers ?? []) {
    const latest = latestContainer(observed, container.name);
    if (!latest || latest.state === 'created' || latest.state === 'unknown') waiting++;
    else if (latest.state === 'running') running++;
    else {
      stopped++;
      if (latest.exitCode === 0) succeeded++;
    }
  }
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    // As upstream since 1.27: no terminal phase while any container (a sidecar) still runs.
    const sidecarRunning = (pod.spec?.initContainers ?? []).some((c) => isSidecar(c) && latestContainer(observed, c.name)?.state === 'running');
    if (sidecarRunning && (stopped === succeeded || policy === 'Never')) return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'OnFailure') return 'Running';
    return 'Failed';
  }
  return 'Pending';
}

export function buildPodStatus(input: PodStatusInput): V1PodStatus {
  const { pod, observed, previous } = input;
  const now = wholeSeconds(input.now);
  const sandbox = observed.sandboxes[0];
  const statuses = (pod.spec?.containers ?? []).map((c) => containerStatus(input, c));
  const sidecarStatuses = (pod.spec?.initContainers ?? []).filter(isSidecar).map((c) => containerStatus(input, c));
  // Sidecars count toward readiness, as upstream counts restartable init containers.
  const unready = [...sidecarStatuses, ...statuses].filter((s) => !s.ready).map((s) => s.name);
  // The pod generation this status was made from (upstream's kubelet since 1.34): clients wait on it
  // to know the kubelet has seen a spec change.
  const generation = pod.metadata?.generation;
  const condition = (type: string, ok: boolean, reason?: string, message?: string): V1PodCondition => {
    const status = ok ? 'True' : 'False';
    const before = previous?.conditions?.find((c) => c.type === type);
    return {
      type,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      status,
      lastTransitionTime: before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : now,
      ...(ok || !reason ? {} : { reason }),
      ...(ok || !message ? {} : { message }),
    };
  };
  const notReadyMessage = `containers with unready status: [${unready.join(' ')}]`;
  const started = input.probes ? (id: string, container: V1Container) => input.probes?.started(id, container) ?? true : undefined;
  const init = initState(pod, observed, undefined, started);
  const initContainers = pod.spec?.initContainers ?? [];
  const phase = podPhase(pod, observed);
  // Host-network pods have no address of their own: they answer on the node's.
  const podIp = !sandbox?.ready ? '' : pod.spec?.hostNetwork ? input.hostIp : sandbox.ip;
  return {
    phase,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions: [
      condition('PodReadyToStartContainers', sandbox?.ready === true),
      condition('Initialized', init.done, 'ContainersNotInitialized', `containers with incomplete status: [${init.incomplete.join(' ')}]`),
      condition('Ready', unready.length === 0 && phase === 'Running', 'ContainersNotReady', notReadyMessage),
      condition('ContainersReady', unready.length === 0 && phase === 'Running', 'ContainersNotReady', notReadyMessage),
      condition('PodScheduled', true),
    ],
    hostIP: input.hostIp,
    hostIPs: [{ ip: input.hostIp }],
    ...(podIp ? { podIP: podIp, podIPs: [{ ip: podIp }] } : {}),
    startTime: wholeSeconds(input.startTime),
    ...(initContainers.length > 0 ? { initContainerStatuses: initContainers.map((c) => initContainerStatus(input, c)) } : {}),
    containerStatuses: statuses,
    qosClass: podQosClass(pod),
  };
}
