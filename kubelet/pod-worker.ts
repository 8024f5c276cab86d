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
import type { V1Container, V1LifecycleHandler, V1Pod } from '@kubernetes/client-node';
import { cpus, totalmem } from 'node:os';
import { CancelledError, errorMessage, FailedPreconditionError } from '../common/errors.js';
import { containerExtendedResources } from './admission.js';
import { devicesAnnotation, type DeviceAllocator } from './devices/device-allocator.js';
import { gpuResource } from './devices/gpu-inventory.js';
import type { Logger } from '../common/logger.js';
import type { ContainerConfig, PodSandboxConfig } from '../cri/api/messages.js';
import { pluginDevicesAnnotation, type DevicePlugins } from './devices/device-plugins.js';
import { applyAllocation } from './devices/plugin-allocation.js';
import type { Rejection } from './admission.js';
import type { RestartBackoff } from './backoff.js';
import { containerEnv, type EnvSources } from './container-env.js';
import type { CriPort } from './cri-port.js';
import { noPodWorkerMetrics, type PodWorkerMetrics } from './kubelet-metrics.js';
import type { PodRuntimeFacts } from './downward-api.js';
import { computePodActions, isSidecar, terminalPhase, type PodActions, type Waiting } from './pod-actions.js';
import { containerConfig, podIdentity, podLogDirectory, sandboxConfig, securityOptions, type PodConfigOptions } from './pod-config.js';
import { effectiveUser, runAsNonRootViolation } from './security-context.js';
import type { PodDirs } from './pod-dirs.js';
import { latestContainer, observePod, type ObservedPod } from './pod-runtime-state.js';
import { buildPodStatus } from './pod-status.js';
import type { PodStatusSink } from './status-manager.js';
import { runLifecycleHook } from './probes/lifecycle-hook.js';
import type { ProbeDeps, ProbeTarget } from './probes/probe-check.js';
import { PodProber, type RunningContainer } from './probes/prober.js';
import type { PreparedVolume } from './volumes.js';
import { podCgroupParent } from './pod-cgroup.js';
import type { PodCgroupCleaner } from './pod-cgroup-dirs.js';

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
  const podIp = pod.spec?.hostNetwork ? nodeIp || '127.0.0.1' : observed.sandboxes.find((s) => s.ready)?.ip ?? '';
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
  /** Called after every state change (the sync loop drops cleaned-up workers). */
  onStateChange?: (worker: PodWorker) => void;
}

export class PodWorker {
  private desiredValue: DesiredPod;
  private stateValue: PodWorkerState = 'syncing';
  private running = false;
  private again = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private readonly waiting = new Map<string, Waiting>();
  private readonly startTime: Date;
  private idleWaiters: (() => void)[] = [];
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly prober: PodProber;
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
    this.prober = new PodProber({
      execSync: (containerId, cmd, timeoutSeconds) => deps.cri.execSync(containerId, cmd, timeoutSeconds),
      kill: async (containerId) => {
        await deps.cri.stopContainer(containerId, this.gracePeriodSeconds());
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

  private async syncOnce(): Promise<void> {
    const pod = this.desiredValue.pod;
    switch (this.stateValue) {
      case 'syncing': {
        if (this.desiredValue.deleted) return this.transition('terminating', 'pod deleted');
        // A pod the API already reports finished never runs again, even if the runtime lost it.
        const reported = pod.status?.phase;
        if (reported === 'Succeeded' || reported === 'Failed') return this.transition('terminating', `pod already ${reported}`);
        if (this.desiredValue.rejection) {
          await this.report();
          return this.transition('terminating', `not admitted: ${this.desiredValue.rejection.reason}`);
        }
        const observed = await observePod(this.deps.cri, this.uid);
        const phase = terminalPhase(pod, observed);
        if (phase) return this.transition('terminating', `pod ${phase}`);
        const actions = computePodActions(pod, observed, this.deps.backoff, this.now(), (id, container) => this.prober.started(id, container));
        await this.apply(actions, observed);
        this.scheduleWake(actions.wakeAtMs);
        return this.report();
      }
      case 'terminating': {
        clearTimeout(this.wakeTimer);
        this.prober.stop();
        await this.stopAll(await observePod(this.deps.cri, this.uid));
        await this.report();
        // Nothing runs any more: its GPUs and plugin devices may go to other pods.
        this.deps.devices?.release(this.uid);
        this.deps.devicePlugins?.release(this.uid);
        return this.transition('terminated', 'containers and sandbox stopped');
      }
      case 'terminated': {
        if (!canCleanUp(this.stateValue, this.desiredValue.deleted)) return;
        await this.removeAll(await observePod(this.deps.cri, this.uid));
        await this.deps.podCgroups?.remove(podCgroupParent(pod, this.deps.config.cgroupParent));
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

  private readonly warned = new Set<string>();
  private volumesPreparedAtMs = 0;
  private pullingMs = 0;
  private podStartObserved = false;

  private get metrics(): PodWorkerMetrics {
    return this.deps.metrics ?? noPodWorkerMetrics;
  }

  private containerType(name: string): 'container' | 'init_container' {
    return this.desiredValue.pod.spec?.initContainers?.some((c) => c.name === name) ? 'init_container' : 'container';
  }

  /** Once per pod: creation (or, for a static pod, this worker's start) to all containers running. */
  private observePodStart(observed: ObservedPod): void {
    if (this.podStartObserved) return;
    const containers = this.desiredValue.pod.spec?.containers ?? [];
    if (containers.length === 0 || !containers.every((c) => latestContainer(observed, c.name)?.state === 'running')) return;
    this.podStartObserved = true;
    const created = this.desiredValue.pod.metadata?.creationTimestamp;
    const fromMs = created ? new Date(created).getTime() : this.startTime.getTime();
    this.metrics.podStarted((this.now() - fromMs - this.pullingMs) / 1000);
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.logger.warn(message);
  }

  /** The container waits with the reason in its status; the log says it once (upstream: an event). */
  private cannotStart(container: string, reason: string, error: unknown): void {
    const message = errorMessage(error);
    this.waiting.set(container, { reason, message });
    this.metrics.containerStartFailed(this.containerType(container), reason);
    this.warnOnce(`container ${container}: ${reason}: ${message}`);
  }

  private scheduleWake(atMs: number | undefined): void {
    clearTimeout(this.wakeTimer);
    if (atMs === undefined) return;
    this.wakeTimer = setTimeout(() => this.kick(), Math.max(0, atMs - this.now()) + 50);
  }

  /** The pod IP (asked of a sandbox made in this pass) and the node facts env and volumes use. */
  private async runtimeFacts(newSandboxId: string | undefined, observed: ObservedPod): Promise<PodRuntimeFacts> {
    let podIp = observed.sandboxes.find((s) => s.ready)?.ip ?? '';
    if (newSandboxId) podIp = (await this.deps.cri.podSandboxStatus(newSandboxId).catch(() => undefined))?.status?.network?.ip ?? '';
    const hostIp = this.deps.config.nodeIp;
    if (this.desiredValue.pod.spec?.hostNetwork) podIp = hostIp;
    return { podIp, hostIp, nodeCpuCores: cpus().length, nodeMemoryBytes: totalmem() };
  }

  private gracePeriodSeconds(): number {
    const pod = this.desiredValue.pod;
    return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  }

  private async apply(actions: PodActions, observed: ObservedPod): Promise<void> {
    const pod = this.desiredValue.pod;
    for (const name of [...this.waiting.keys()]) if (!actions.waiting.has(name)) this.waiting.delete(name);
    for (const [name, waiting] of actions.waiting) this.waiting.set(name, waiting);

    for (const id of actions.stopSandboxIds) {
      for (const c of observed.containers.filter((c) => c.sandboxId === id && c.state === 'running')) {
        await this.deps.cri.stopContainer(c.id, 0);
      }
      await this.deps.cri.stopPodSandbox(id);
    }
    const podConfig = sandboxConfig(pod, actions.sandboxAttempt, this.deps.config);
    let sandboxId = observed.sandboxes[0]?.id ?? '';
    if (actions.createSandbox) {
      this.logger.info({ attempt: actions.sandboxAttempt }, 'creating pod sandbox');
      await this.deps.dirs.ensureDir(podConfig.logDirectory ?? '');
      sandboxId = (await this.deps.cri.runPodSandbox(podConfig)).podSandboxId;
    }
    for (const id of actions.removeContainerIds) await this.deps.cri.removeContainer(id);
    const facts = await this.runtimeFacts(actions.createSandbox ? sandboxId : undefined, observed);
    let volumes: Map<string, PreparedVolume> | undefined;
    const refreshDue = this.now() - this.volumesPreparedAtMs >= this.deps.config.volumeRefreshMs;
    if (actions.startContainers.length > 0) {
      try {
        volumes = await this.deps.dirs.prepareVolumes(pod, facts, (message) => this.warnOnce(message));
        this.volumesPreparedAtMs = this.now();
      } catch (error) {
        for (const { container } of actions.startContainers) this.cannotStart(container.name, 'CreateContainerConfigError', error);
        return;
      }
    } else if (refreshDue && sandboxId) {
      // Running containers see configMap, secret and token updates through the ..data swap.
      this.volumesPreparedAtMs = this.now();
      await this.deps.dirs.prepareVolumes(pod, facts, (message) => this.warnOnce(message)).catch((error: unknown) => {
        this.warnOnce(`volumes not refreshed: ${errorMessage(error)}`);
      });
    }
    // Containers start in spec order, one at a time, as the upstream kubelet does.
    let hostsFile: string | undefined;
    for (const { container, restartCount } of actions.startContainers) {
      if (!canStartContainers(this.stateValue) || this.desiredValue.deleted) return;
      try {
        await this.ensureImage(container.image ?? '', container.imagePullPolicy ?? 'IfNotPresent', podConfig);
      } catch (error) {
        this.cannotStart(container.name, 'ErrImagePull', error);
        continue;
      }
      let config;
      try {
        await this.checkRunAsNonRoot(pod, container);
        const mounts = await this.deps.dirs.containerMounts(container, volumes ?? new Map());
        // The kubelet-managed /etc/hosts (hostAliases), unless the container mounts its own.
        if (facts.podIp && !mounts.some((m) => m.containerPath === '/etc/hosts')) {
          hostsFile ??= await this.deps.dirs.writeHostsFile(pod, [facts.podIp], this.deps.config.clusterDomain);
          mounts.push({ containerPath: '/etc/hosts', hostPath: hostsFile, readonly: false });
        }
        const envs = await containerEnv(pod, container, this.deps.envSources, facts);
        config = containerConfig(pod, container, restartCount, { mounts, envs, security: securityOptions(this.deps.config) });
      } catch (error) {
        this.cannotStart(container.name, 'CreateContainerConfigError', error);
        continue;
      }
      // A device plugin serving nvidia.com/gpu (NVIDIA's own) takes over from the CDI inventory.
      const gpus = this.deps.devicePlugins?.serves(gpuResource) ? 0 : (containerExtendedResources(container)[gpuResource] ?? 0);
      if (gpus > 0) {
        try {
          const devices = this.deps.devices?.allocate(this.uid, container.name, gpus);
          if (!devices) throw new FailedPreconditionError(`container ${container.name} asks for ${gpus} ${gpuResource} and this kubelet has no device allocator`);
          config.CDIDevices = devices.map((name) => ({ name }));
          config.annotations = { ...config.annotations, [devicesAnnotation]: devices.join(',') };
        } catch (error) {
          this.cannotStart(container.name, 'UnexpectedAdmissionError', error);
          continue;
        }
      }
      try {
        config = await this.withPluginDevices(container, config);
      } catch (error) {
        this.cannotStart(container.name, 'UnexpectedAdmissionError', error);
        continue;
      }
      try {
        const { containerId } = await this.deps.cri.createContainer(sandboxId, config, podConfig);
        await this.deps.cri.startContainer(containerId);
        this.waiting.delete(container.name);
        this.logger.info({ container: container.name, containerId, restartCount }, 'container started');
        this.metrics.containerStarted(this.containerType(container.name));
        if (restartCount > 0) this.metrics.containerRestarted({ namespace: pod.metadata?.namespace ?? '', pod: pod.metadata?.name ?? '', container: container.name });
        const postStart = container.lifecycle?.postStart;
        if (postStart) await this.postStart(postStart, { containerId, container, podIp: facts.podIp });
      } catch (error) {
        this.cannotStart(container.name, 'CreateContainerError', error);
      }
    }
  }

  /** The container's config with what device plugins gave it for its extended resources. */
  private async withPluginDevices(container: V1Container, config: ContainerConfig): Promise<ContainerConfig> {
    const plugins = this.deps.devicePlugins;
    let out = config;
    for (const [resource, count] of Object.entries(containerExtendedResources(container))) {
      if (resource === gpuResource && !plugins?.serves(resource)) continue;
      if (!plugins?.serves(resource)) throw new FailedPreconditionError(`container ${container.name} asks for ${count} ${resource} and no device plugin serves it on this node`);
      const { response } = await plugins.allocate(this.uid, container.name, resource, count);
      out = applyAllocation(out, response);
    }
    const annotation = plugins?.annotation(this.uid, container.name);
    return annotation ? { ...out, annotations: { ...out.annotations, [pluginDevicesAnnotation]: annotation } } : out;
  }

  /** Blocks the next container, as upstream; a failed hook kills the container (restart policy decides). */
  private async postStart(handler: V1LifecycleHandler, target: ProbeTarget): Promise<void> {
    const outcome = await runLifecycleHook(handler, target, this.hookDeps, this.gracePeriodSeconds());
    if (outcome.ok) return;
    this.logger.warn({ container: target.container.name, containerId: target.containerId }, `FailedPostStartHook: ${outcome.message}`);
    await this.deps.cri.stopContainer(target.containerId, this.gracePeriodSeconds());
  }

  private get hookDeps(): ProbeDeps {
    return { execSync: (containerId, cmd, timeoutSeconds) => this.deps.cri.execSync(containerId, cmd, timeoutSeconds) };
  }

  /** runAsNonRoot holds for the user the container will run as: its runAsUser, else the image's. */
  private async checkRunAsNonRoot(pod: V1Pod, container: V1Container): Promise<void> {
    if (!effectiveUser(pod, container).runAsNonRoot) return;
    const image = (await this.deps.cri.imageStatus(container.image ?? '')).image;
    const uid = image?.uid ? Number(image.uid.value) : undefined;
    const violation = runAsNonRootViolation(pod, container, { uid, username: image?.username });
    if (violation) throw new FailedPreconditionError(violation);
  }

  private async ensureImage(image: string, policy: string, podConfig: PodSandboxConfig): Promise<void> {
    if (policy !== 'Always') {
      const present = (await this.deps.cri.imageStatus(image)).image;
      if (present) return;
      if (policy === 'Never') throw new Error(`image ${image} is not present and imagePullPolicy is Never`);
    }
    const pullStarted = this.now();
    try {
      await this.deps.cri.pullImage(image, undefined, podConfig, { signal: this.gone.signal });
    } finally {
      // The pod start SLI leaves image pulls out, as upstream's does.
      this.pullingMs += this.now() - pullStarted;
    }
  }

  /**
   * Every container stopped, each after its preStop hook, within one grace period: the app
   * containers together, then the sidecars one by one in reverse order, as upstream, so what the
   * app containers need while they shut down is still there.
   */
  private async stopAll(observed: ObservedPod): Promise<void> {
    const grace = this.gracePeriodSeconds();
    const startedMs = this.now();
    const pod = this.desiredValue.pod;
    const podIp = pod.spec?.hostNetwork ? this.deps.config.nodeIp : observed.sandboxes.find((s) => s.ready)?.ip ?? '';
    const sidecars = (pod.spec?.initContainers ?? []).filter(isSidecar);
    const stop = async (c: ObservedPod['containers'][number]): Promise<void> => {
      const container = [...(pod.spec?.containers ?? []), ...sidecars].find((spec) => spec.name === c.name);
      const preStop = container?.lifecycle?.preStop;
      if (container && preStop && c.state === 'running') {
        const outcome = await runLifecycleHook(preStop, { containerId: c.id, container, podIp }, this.hookDeps, grace);
        if (!outcome.ok) this.logger.warn({ container: c.name, containerId: c.id }, `FailedPreStopHook: ${outcome.message}`);
      }
      // What the hooks used comes off the grace period; upstream leaves at least 2 s.
      const left = Math.max(2, grace - Math.floor((this.now() - startedMs) / 1000));
      await this.deps.cri.stopContainer(c.id, Math.min(grace, left));
    };
    const live = observed.containers.filter((c) => c.state === 'running' || c.state === 'created');
    const sidecarNames = new Set(sidecars.map((c) => c.name));
    await Promise.all(live.filter((c) => !sidecarNames.has(c.name)).map(stop));
    for (const sidecar of [...sidecars].reverse()) {
      for (const c of live.filter((l) => l.name === sidecar.name)) await stop(c);
    }
    for (const sandbox of observed.sandboxes.filter((s) => s.ready)) await this.deps.cri.stopPodSandbox(sandbox.id);
  }

  private async removeAll(observed: ObservedPod): Promise<void> {
    for (const container of observed.containers) await this.deps.cri.removeContainer(container.id);
    for (const sandbox of observed.sandboxes) {
      await this.deps.cri.stopPodSandbox(sandbox.id);
      await this.deps.cri.removePodSandbox(sandbox.id);
    }
  }

  private async report(): Promise<void> {
    const pod = this.desiredValue.pod;
    const observed = await observePod(this.deps.cri, this.uid);
    if (this.stateValue === 'syncing') this.prober.sync(runningForProbes(pod, observed, this.deps.config.nodeIp));
    if (this.stateValue === 'syncing') this.observePodStart(observed);
    const status = buildPodStatus({
      pod,
      observed,
      waiting: this.waiting,
      hostIp: this.deps.config.nodeIp,
      runtimeName: this.deps.runtimeName,
      startTime: this.startTime,
      previous: this.deps.status.lastStatus(this.uid),
      now: new Date(this.now()),
      probes: this.prober,
    });
    const rejection = this.desiredValue.rejection;
    // A refused pod is Failed for good, with the reason upstream gives (kubectl shows it).
    this.deps.status.setPodStatus(pod, rejection ? { ...status, phase: 'Failed', reason: rejection.reason, message: rejection.message } : status);
  }
}
