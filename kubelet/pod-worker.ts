// One worker per pod uid: drives the runtime towards the pod's latest desired state, one sync at a
// time (updates that arrive mid-sync are coalesced: the latest desired state wins).
//
//   ┌─────────┐ deleted, or terminal phase ┌─────────────┐ containers + sandbox ┌────────────┐ deleted: CRI objects  ┌────────────┐
//   │ syncing │ ─────────────────────────▶ │ terminating │ ───── stopped ─────▶ │ terminated │ ── removed, API pod ─▶ │ cleanedUp  │
//   └─────────┘                            └─────────────┘                      └────────────┘    deleted for good    └────────────┘
//
//   syncing      sandbox up, containers (re)started per restart policy, CrashLoopBackOff between
//                fast restarts, status reported every sync.
//   terminating  every container stopped with the grace period, then the sandbox.
//   terminated   nothing runs; exited containers stay for inspection until the pod is deleted
//                (a Never/OnFailure pod that finished waits here).
//   cleanedUp    containers and sandboxes removed; the sync loop drops the worker.
// There is no way back: a pod that should run again comes with a new uid.
import type { V1Pod } from '@kubernetes/client-node';
import { join } from 'node:path';
import { CancelledError, errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { Rejection } from './admission.js';
import type { RestartBackoff } from './backoff.js';
import type { EnvSources } from './container-env.js';
import type { CriPort } from './cri-port.js';
import type { DeviceAllocator } from './devices/device-allocator.js';
import type { DevicePlugins } from './devices/device-plugins.js';
import { noPodWorkerMetrics, type PodWorkerMetrics } from './kubelet-metrics.js';
import { activeDeadlineMs, computePodActions, deadlineExceeded, isSidecar, terminalPhase } from './pod-actions.js';
import type { PodCgroupCleaner } from './pod-cgroup-dirs.js';
import { podCgroupParent } from './pod-cgroup.js';
import { podIdentity, podLogDirectory, type PodConfigOptions } from './pod-config.js';
import type { PodDirs } from './pod-dirs.js';
import { PodRuntimeManager } from './pod-runtime-manager.js';
import { latestContainer, type ObservedPod } from './pod-runtime-state.js';
import { PodStatusCache } from './pod-status-cache.js';
import { terminationMessageReader } from './termination-message.js';
import { buildPodStatus } from './pod-status.js';
import { PodProber, type RunningContainer } from './probes/prober.js';
import type { PodStatusSink } from './status-manager.js';

export type PodWorkerState = 'syncing' | 'terminating' | 'terminated' | 'cleanedUp';

const transitions: Record<PodWorkerState, readonly PodWorkerState[]> = {
  syncing: ['terminating'],
  terminating: ['terminated'],
  terminated: ['cleanedUp'],
  cleanedUp: [],
};

export function canTransition(from: PodWorkerState, to: PodWorkerState): boolean {
  return transitions[from].includes(to);
}
export const canStartContainers = (state: PodWorkerState): boolean => state === 'syncing';
export const canCleanUp = (state: PodWorkerState, deleted: boolean): boolean => state === 'terminated' && deleted;

/** The running container instances of the pod and where their probes go. */
function runningForProbes(pod: V1Pod, observed: ObservedPod, nodeIp: string): RunningContainer[] {
  const podIp = pod.spec?.hostNetwork ? nodeIp || '127.0.0.1' : (observed.sandboxes.find((s) => s.ready)?.ip ?? '');
  const out: RunningContainer[] = [];
  for (const container of [...(pod.spec?.initContainers ?? []).filter(isSidecar), ...(pod.spec?.containers ?? [])]) {
    const latest = observed.containers.find((c) => c.name === container.name);
    if (latest?.state === 'running' && podIp) out.push({ id: latest.id, container, podIp });
  }
  return out;
}

export interface DesiredPod {
  pod: V1Pod;
  /** Removed from its source, or marked for deletion in the API (deletionTimestamp). */
  deleted: boolean;
  /** Set when admission refused the pod: it never runs, and its status says why. */
  rejection?: Rejection | undefined;
}

export interface PodWorkerDeps {
  cri: CriPort;
  config: PodConfigOptions & { nodeIp: string; volumeRefreshMs: number };
  /** The API objects env refers to; undefined in standalone mode. */
  envSources?: EnvSources | undefined;
  metrics?: PodWorkerMetrics | undefined;
  /** CRI runtime name (containerd, berth): the scheme of containerIDs in status. */
  runtimeName: string;
  backoff: RestartBackoff;
  /** GPU assignment (nvidia.com/gpu limits → CDI devices); absent: such containers get none. */
  devices?: DeviceAllocator | undefined;
  /** Extended resources served by device plugins; absent: such containers are not started. */
  devicePlugins?: DevicePlugins | undefined;
  status: PodStatusSink;
  dirs: PodDirs;
  /** Removes the pod's cgroup after its sandboxes; absent: left to the runtime. */
  podCgroups?: PodCgroupCleaner | undefined;
  logger: Logger;
  now?: () => number;
  /** The pods' runtime state as the PLEG last read it; absent: the worker keeps its own. */
  cache?: PodStatusCache | undefined;
  /** Called after every state change (the sync loop drops cleaned-up workers). */
  onStateChange?: (worker: PodWorker) => void;
}

export class PodWorker {
  private desiredValue: DesiredPod;
  private stateValue: PodWorkerState = 'syncing';
  private running = false;
  private again = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private readonly startTime: Date;
  private idleWaiters: (() => void)[] = [];
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly prober: PodProber;
  private readonly runtime: PodRuntimeManager;
  private readonly cache: PodStatusCache;
  /** The cache tick after this worker last changed the runtime: older pictures are stale to it. */
  private changedAt = 0;
  private podStartObserved = false;
  /** Set once the pod outlived its activeDeadlineSeconds: it is Failed for good, with this reason. */
  private failure: Rejection | undefined;
  /** Aborted when the pod is deleted or the worker stops: cancels what has no deadline (image pulls). */
  private readonly gone = new AbortController();

  constructor(
    desired: DesiredPod,
    private readonly deps: PodWorkerDeps,
  ) {
    this.desiredValue = desired;
    if (desired.deleted) this.gone.abort(new CancelledError('the pod was deleted'));
    this.now = deps.now ?? Date.now;
    // A pod the API already reports as started keeps its start time across kubelet restarts.
    const known = desired.pod.status?.startTime ? new Date(desired.pod.status.startTime) : undefined;
    this.startTime = known && !Number.isNaN(known.getTime()) ? known : new Date(this.now());
    const meta = desired.pod.metadata;
    this.logger = deps.logger.child({ pod: `${meta?.namespace ?? 'default'}/${meta?.name ?? ''}`, podUid: meta?.uid });
    this.cache = deps.cache ?? new PodStatusCache(deps.cri, terminationMessageReader({ podsDir: join(deps.config.rootDir, 'pods'), podLogsDir: deps.config.podLogsDir }));
    this.runtime = new PodRuntimeManager({ ...deps, logger: this.logger, metrics: this.metrics, now: this.now, gone: this.gone.signal });
    this.prober = new PodProber({
      execSync: (containerId, cmd, timeoutSeconds) => deps.cri.execSync(containerId, cmd, timeoutSeconds),
      kill: async (containerId) => {
        await deps.cri.stopContainer(containerId, this.gracePeriodSeconds());
        this.changedAt = this.cache.tick();
      },
      changed: () => this.kick(),
      observe: (kind, container, ok) =>
        this.metrics.probeResult({
          probe_type: kind === 'startup' ? 'Startup' : kind === 'liveness' ? 'Liveness' : 'Readiness',
          result: ok ? 'successful' : 'failed',
          container,
          pod: meta?.name ?? '',
          namespace: meta?.namespace ?? 'default',
          pod_uid: meta?.uid ?? '',
        }),
      logger: this.logger,
    });
  }

  get state(): PodWorkerState {
    return this.stateValue;
  }
  get desired(): DesiredPod {
    return this.desiredValue;
  }
  /** Admission let the pod run (its requests count against the node). */
  get admitted(): boolean {
    return !this.desiredValue.rejection;
  }
  get uid(): string {
    return this.desiredValue.pod.metadata?.uid ?? '';
  }

  /** A new desired state; deletion is sticky (a deleted pod never comes back under its uid). */
  update(desired: DesiredPod): void {
    const before = this.desiredValue;
    this.desiredValue = { pod: desired.pod, deleted: desired.deleted || before.deleted, rejection: before.rejection };
    if (this.desiredValue.deleted) this.gone.abort(new CancelledError('the pod was deleted'));
    // Every pod event reaches every worker (the sources hand over full sets): sync only when this
    // pod's object changed, or a status write of ours would wake every other worker too.
    const version = (d: DesiredPod): string | undefined => d.pod.metadata?.resourceVersion;
    const samePod = before.pod === desired.pod || (version(before) !== undefined && version(before) === version(desired));
    if (samePod && this.desiredValue.deleted === before.deleted) return;
    this.kick();
  }

  /** Sync again soon (a runtime event, a resync). */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.loop();
  }

  /** Resolves when no sync is running or queued. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.gone.abort(new CancelledError('the pod worker stopped'));
    clearTimeout(this.wakeTimer);
    this.prober.stop();
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.syncOnce();
      } catch (error) {
        this.logger.warn({ state: this.stateValue, err: errorMessage(error) }, 'pod sync failed; retrying at the next resync');
      }
    } while (this.again);
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private transition(to: PodWorkerState, why: string): void {
    if (!canTransition(this.stateValue, to)) throw new Error(`pod worker cannot go from ${this.stateValue} to ${to}`);
    this.logger.info({ from: this.stateValue, to, why }, 'pod worker state');
    this.stateValue = to;
    this.again = true;
    this.deps.onStateChange?.(this);
  }

  /** The pod's runtime state, read once per step: after a change of ours, only a newer picture will do. */
  private observe(): Promise<ObservedPod> {
    if (this.runtime.takeChanged()) this.changedAt = this.cache.tick();
    return this.cache.read(this.uid, this.changedAt);
  }

  private async syncOnce(): Promise<void> {
    const pod = this.desiredValue.pod;
    switch (this.stateValue) {
      case 'syncing': {
        if (this.desiredValue.deleted) return this.transition('terminating', 'pod deleted');
        // A pod the API already reports finished never runs again, even if the runtime lost it.
        const reported = pod.status?.phase;
        if (reported === 'Succeeded' || reported === 'Failed') return this.transition('terminating', `pod already ${reported}`);
        if (this.desiredValue.rejection) {
          this.report(await this.observe());
          return this.transition('terminating', `not admitted: ${this.desiredValue.rejection.reason}`);
        }
        const observed = await this.observe();
        const phase = terminalPhase(pod, observed);
        if (phase) return this.transition('terminating', `pod ${phase}`);
        const deadline = activeDeadlineMs(pod, this.startTime.getTime());
        if (deadline !== undefined && this.now() >= deadline) {
          // As upstream: the pod is Failed with DeadlineExceeded, and its containers are killed.
          this.failure = deadlineExceeded;
          this.report(observed);
          return this.transition('terminating', `activeDeadlineSeconds ${pod.spec?.activeDeadlineSeconds} passed`);
        }
        const actions = computePodActions(pod, observed, this.deps.backoff, this.now(), (id, container) => this.prober.started(id, container));
        await this.runtime.syncPod(pod, actions, observed, this.gracePeriodSeconds(), () => canStartContainers(this.stateValue) && !this.desiredValue.deleted);
        // Woken at the deadline too, so the pod is failed then and not at the next resync.
        this.scheduleWake(deadline === undefined ? actions.wakeAtMs : Math.min(deadline, actions.wakeAtMs ?? deadline));
        return this.report(await this.observe());
      }
      case 'terminating': {
        clearTimeout(this.wakeTimer);
        this.prober.stop();
        await this.runtime.killPod(pod, await this.observe(), this.gracePeriodSeconds());
        this.report(await this.observe());
        // Nothing runs any more: its GPUs and plugin devices may go to other pods.
        this.deps.devices?.release(this.uid);
        this.deps.devicePlugins?.release(this.uid);
        return this.transition('terminated', 'containers and sandbox stopped');
      }
      case 'terminated': {
        if (!canCleanUp(this.stateValue, this.desiredValue.deleted)) return;
        await this.runtime.removePod(await this.observe());
        this.cache.delete(this.uid);
        await this.deps.podCgroups?.remove(podCgroupParent(pod, this.deps.config.cgroupParent, this.deps.config.cgroupDriver));
        await this.deps.dirs.removeDir(podLogDirectory(this.deps.config.podLogsDir, podIdentity(pod)));
        await this.deps.dirs.removeVolumes(this.uid);
        await this.deps.status.podTerminated(pod);
        this.deps.backoff.forget(`${this.uid}/`);
        return this.transition('cleanedUp', 'runtime objects removed');
      }
      case 'cleanedUp':
        return;
    }
  }

  private get metrics(): PodWorkerMetrics {
    return this.deps.metrics ?? noPodWorkerMetrics;
  }

  /** Once per pod: creation (or, for a static pod, this worker's start) to all containers running. */
  private observePodStart(observed: ObservedPod): void {
    if (this.podStartObserved) return;
    const containers = this.desiredValue.pod.spec?.containers ?? [];
    if (containers.length === 0 || !containers.every((c) => latestContainer(observed, c.name)?.state === 'running')) return;
    this.podStartObserved = true;
    const created = this.desiredValue.pod.metadata?.creationTimestamp;
    const fromMs = created ? new Date(created).getTime() : this.startTime.getTime();
    this.metrics.podStarted((this.now() - fromMs - this.runtime.pullingMs) / 1000);
  }

  private scheduleWake(atMs: number | undefined): void {
    clearTimeout(this.wakeTimer);
    if (atMs === undefined) return;
    this.wakeTimer = setTimeout(() => this.kick(), Math.max(0, atMs - this.now()) + 50);
  }

  private gracePeriodSeconds(): number {
    const pod = this.desiredValue.pod;
    return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  }

  private report(observed: ObservedPod): void {
    const pod = this.desiredValue.pod;
    if (this.stateValue === 'syncing') this.prober.sync(runningForProbes(pod, observed, this.deps.config.nodeIp));
    if (this.stateValue === 'syncing') this.observePodStart(observed);
    const status = buildPodStatus({
      pod,
      observed,
      waiting: this.runtime.waiting,
      hostIp: this.deps.config.nodeIp,
      runtimeName: this.deps.runtimeName,
      startTime: this.startTime,
      previous: this.deps.status.lastStatus(this.uid),
      now: new Date(this.now()),
      probes: this.prober,
    });
    const failure = this.desiredValue.rejection ?? this.failure;
    // A refused pod, or one past its deadline, is Failed for good, with the reason upstream gives (kubectl shows it).
    this.deps.status.setPodStatus(pod, failure ? { ...status, phase: 'Failed', reason: failure.reason, message: failure.message } : status);
  }
}
