// What a running pod needs next, decided from the pod spec and what the runtime holds (pure, the
// upstream kubelet's computePodActions in small): a new sandbox when none is ready, init containers
// one at a time in order (each must exit 0; a new sandbox runs them again), then a (re)start for
// each container its restart policy wants running, CrashLoopBackOff when restarts come too fast.
// Sidecars (init containers with restartPolicy Always) count as done once running and started
// (startup probe passed), keep running beside the app containers, and are restarted whenever they
// exit, whatever the pod's policy.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { RestartBackoff } from './backoff.js';
import { latestContainer, type ObservedContainer, type ObservedPod } from './pod-runtime-state.js';

export interface ContainerStart {
  container: V1Container;
  restartCount: number;
}

export interface Waiting {
  reason: string;
  message: string;
}

export interface PodActions {
  createSandbox: boolean;
  /** The attempt number the new sandbox gets. */
  sandboxAttempt: number;
  /** Sandboxes to stop first: not ready (dead) ones that a new sandbox replaces. */
  stopSandboxIds: string[];
  startContainers: ContainerStart[];
  /** Containers created but never started (a start that failed): removed, then made anew. */
  removeContainerIds: string[];
  /** Containers that wait (CrashLoopBackOff), by name. */
  waiting: Map<string, Waiting>;
  /** When a wait ends and the pod must be synced again (ms since epoch). */
  wakeAtMs: number | undefined;
}

export type TerminalPhase = 'Succeeded' | 'Failed';

/** An init container that runs for the pod's whole life (restartPolicy Always). */
export function isSidecar(container: V1Container): boolean {
  return container.restartPolicy === 'Always';
}

function shouldRestart(pod: V1Pod, exited: ObservedContainer): boolean {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  return policy === 'Always' || (policy === 'OnFailure' && exited.exitCode !== 0);
}

/**
 * Whether a running container instance has started: its startup probe (if any) has passed.
 * A sidecar counts as initialized only then, so the next init container waits for it.
 */
export type StartedCheck = (containerId: string, container: V1Container) => boolean;

const startedWhenRunning: StartedCheck = () => true;

export interface InitState {
  /** Every init container exited 0 in the sandbox (or an app container already started there). */
  done: boolean;
  /** Init containers not yet exited 0, in order. */
  incomplete: string[];
  /** An init container exited non-zero and the policy (Never) does not run it again. */
  failed: boolean;
}

/** Where the init containers stand in a sandbox (the newest when none is named). */
export function initState(pod: V1Pod, observed: ObservedPod, sandboxId = observed.sandboxes[0]?.id, started: StartedCheck = startedWhenRunning): InitState {
  const inits = pod.spec?.initContainers ?? [];
  if (inits.length === 0) return { done: true, incomplete: [], failed: false };
  // Upstream: once an app container has run in this sandbox, initialization is over for it.
  if (sandboxId && (pod.spec?.containers ?? []).some((c) => latestContainer(observed, c.name, sandboxId))) {
    return { done: true, incomplete: [], failed: false };
  }
  const latest = inits.map((c) => (sandboxId ? latestContainer(observed, c.name, sandboxId) : undefined));
  const complete = (c: V1Container, i: number): boolean => {
    const instance = latest[i];
    if (isSidecar(c)) return instance?.state === 'running' && started(instance.id, c);
    return instance?.state === 'exited' && instance.exitCode === 0;
  };
  const incomplete = inits.filter((c, i) => !complete(c, i)).map((c) => c.name);
  const never = (pod.spec?.restartPolicy ?? 'Always') === 'Never';
  // A sidecar that exits is restarted, so only a regular init container can fail the pod.
  const failed = never && inits.some((c, i) => !isSidecar(c) && latest[i]?.state === 'exited' && latest[i]?.exitCode !== 0);
  return { done: incomplete.length === 0, incomplete, failed };
}

/**
 * Succeeded/Failed once no container will run again under the restart policy; undefined while the
 * pod still runs (or has not run everything yet). Always-pods never finish by themselves.
 */
/** The status upstream's kubelet gives a pod killed at its activeDeadlineSeconds (kubectl shows the reason). */
export const deadlineExceeded = { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' } as const;

/**
 * Pure: when the pod's activeDeadlineSeconds runs out, in ms since the epoch, counted from its
 * start on this node (status.startTime); undefined when it has none. The field may be changed
 * (only shortened) while the pod runs, so each sync asks again.
 */
export function activeDeadlineMs(pod: V1Pod, startTimeMs: number): number | undefined {
  const seconds = pod.spec?.activeDeadlineSeconds;
  if (seconds === undefined || seconds === null) return undefined;
  return startTimeMs + seconds * 1000;
}

export function terminalPhase(pod: V1Pod, observed: ObservedPod): TerminalPhase | undefined {
  if (initState(pod, observed).failed) return 'Failed';
  if ((pod.spec?.restartPolicy ?? 'Always') === 'Always') return undefined;
  const latest = (pod.spec?.containers ?? []).map((c) => latestContainer(observed, c.name));
  if (latest.length === 0 || latest.some((c) => c?.state !== 'exited' || shouldRestart(pod, c))) return undefined;
  return latest.every((c) => c?.exitCode === 0) ? 'Succeeded' : 'Failed';
}

/** The restart count a new instance of `name` gets: one more than the newest seen in any sandbox. */
export function nextRestartCount(observed: ObservedPod, name: string): number {
  const latest = latestContainer(observed, name);
  return latest ? latest.attempt + 1 : 0;
}

export function computePodActions(pod: V1Pod, observed: ObservedPod, backoff: RestartBackoff, nowMs: number, started: StartedCheck = startedWhenRunning): PodActions {
  const containers = pod.spec?.containers ?? [];
  const sandbox = observed.sandboxes[0];
  const actions: PodActions = {
    createSandbox: false,
    sandboxAttempt: sandbox ? sandbox.attempt + 1 : 0,
    stopSandboxIds: [],
    startContainers: [],
    removeContainerIds: [],
    waiting: new Map(),
    wakeAtMs: undefined,
  };
  if (!sandbox?.ready) {
    // A dead sandbox takes its network with it: every container restarts in a new one.
    actions.createSandbox = true;
    actions.stopSandboxIds = observed.sandboxes.filter((s) => s.ready || observed.containers.some((c) => c.sandboxId === s.id && c.state === 'running')).map((s) => s.id);
    if (sandbox && !actions.stopSandboxIds.includes(sandbox.id)) actions.stopSandboxIds.push(sandbox.id);
    const firstInit = pod.spec?.initContainers?.[0];
    if (firstInit) {
      actions.startContainers = [{ container: firstInit, restartCount: nextRestartCount(observed, firstInit.name) }];
      for (const container of containers) actions.waiting.set(container.name, initializing);
    } else {
      actions.startContainers = containers.map((container) => ({ container, restartCount: nextRestartCount(observed, container.name) }));
    }
    return actions;
  }
  if (!initState(pod, observed, sandbox.id, started).done) {
    nextInitContainer(pod, observed, sandbox.id, backoff, nowMs, actions, started);
    for (const container of containers) actions.waiting.set(container.name, initializing);
    return actions;
  }
  // Sidecars first, as upstream starts them: the app containers may need them.
  const sidecars = (pod.spec?.initContainers ?? []).filter(isSidecar);
  for (const container of [...sidecars, ...containers]) {
    const latest = latestContainer(observed, container.name, sandbox.id);
    if (!latest) {
      actions.startContainers.push({ container, restartCount: nextRestartCount(observed, container.name) });
      continue;
    }
    if (latest.state === 'running' || latest.state === 'unknown') continue;
    if (latest.state === 'created') {
      actions.removeContainerIds.push(latest.id);
      actions.startContainers.push({ container, restartCount: latest.attempt + 1 });
      continue;
    }
    if (!isSidecar(container) && !shouldRestart(pod, latest)) continue;
    restartOrBackOff(pod, container, latest, backoff, nowMs, actions);
  }
  return actions;
}

const initializing: Waiting = { reason: 'PodInitializing', message: '' };

function restartOrBackOff(pod: V1Pod, container: V1Container, latest: ObservedContainer, backoff: RestartBackoff, nowMs: number, actions: PodActions): void {
  const uid = pod.metadata?.uid ?? '';
  const decision = backoff.check(`${uid}/${container.name}`, { startedAtMs: latest.startedAtMs, finishedAtMs: latest.finishedAtMs }, nowMs);
  if (decision.restart) {
    actions.startContainers.push({ container, restartCount: latest.attempt + 1 });
    return;
  }
  actions.waiting.set(container.name, {
    reason: 'CrashLoopBackOff',
    message: `back-off ${Math.round(decision.delayMs / 1000)}s restarting failed container=${container.name} pod=${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${uid})`,
  });
  actions.wakeAtMs = Math.min(actions.wakeAtMs ?? Infinity, decision.untilMs);
}

/** The first init container not yet done: started, restarted after a failure, or waited for. */
function nextInitContainer(pod: V1Pod, observed: ObservedPod, sandboxId: string, backoff: RestartBackoff, nowMs: number, actions: PodActions, started: StartedCheck): void {
  for (const container of pod.spec?.initContainers ?? []) {
    const latest = latestContainer(observed, container.name, sandboxId);
    if (!latest) {
      actions.startContainers.push({ container, restartCount: nextRestartCount(observed, container.name) });
      return;
    }
    if (!isSidecar(container) && latest.state === 'exited' && latest.exitCode === 0) continue;
    // A started sidecar lets the next init container start; one whose startup probe has not
    // passed yet, or a running regular one, is waited for.
    if (isSidecar(container) && latest.state === 'running' && started(latest.id, container)) continue;
    if (latest.state === 'running' || latest.state === 'unknown') return;
    if (latest.state === 'created') {
      actions.removeContainerIds.push(latest.id);
      actions.startContainers.push({ container, restartCount: latest.attempt + 1 });
      return;
    }
    // Exited non-zero: under Never the pod has failed (terminalPhase); otherwise it runs again.
    // A sidecar runs again whatever it exited with.
    if (isSidecar(container) || (pod.spec?.restartPolicy ?? 'Always') !== 'Never') restartOrBackOff(pod, container, latest, backoff, nowMs, actions);
    return;
  }
}
