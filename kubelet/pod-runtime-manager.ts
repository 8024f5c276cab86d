// What one pod's sync does to the runtime, the way upstream's kuberuntime_manager.go SyncPod spells
// it out: the actions are computed by the caller (pod-actions.ts); here the dead sandboxes are
// stopped, a new sandbox made, failed creates removed, the volumes prepared, and the containers
// started one at a time in spec order through startContainer. Killing (containers with their
// preStop hooks, then the sandboxes) and removing a pod's runtime objects live here too. The pod
// worker decides when each of these runs; this file never changes the worker's state.
import type { V1Pod } from '@kubernetes/client-node';
import { cpus, totalmem } from 'node:os';
import { errorMessage } from '../common/errors.js';
import type { PodSandboxConfig } from '../api/cri/messages.js';
import { hookDeps, startContainer, type ContainerStartDeps, type PodStartContext } from './container-start.js';
import type { PodRuntimeFacts } from './downward-api.js';
import type { PodWorkerMetrics } from './kubelet-metrics.js';
import { isSidecar, type PodActions, type Waiting } from './pod-actions.js';
import { sandboxConfig } from './pod-config.js';
import type { ObservedPod } from './pod-runtime-state.js';
import { runLifecycleHook } from './probes/lifecycle-hook.js';
import type { PreparedVolume } from './volumes.js';
import type { PodCgroupCleaner } from './pod-cgroup-dirs.js';

export interface PodRuntimeDeps extends Omit<ContainerStartDeps, 'ensureImage' | 'changed' | 'config'> {
  config: ContainerStartDeps['config'] & { nodeIp: string; volumeRefreshMs: number };
  metrics: PodWorkerMetrics;
  now: () => number;
  /** Cancels what has no deadline of its own (image pulls) when the pod goes away. */
  gone: AbortSignal;
  podCgroups?: PodCgroupCleaner | undefined;
}

export class PodRuntimeManager {
  /** Why containers wait (CrashLoopBackOff, ErrImagePull, ...), by name: the status shows it. */
  readonly waiting = new Map<string, Waiting>();
  /** Time spent pulling images: the pod start SLI leaves it out, as upstream's does. */
  pullingMs = 0;
  private changedValue = false;
  private volumesPreparedAtMs = 0;
  private readonly warned = new Set<string>();

  constructor(private readonly deps: PodRuntimeDeps) {}

  /** Whether anything was changed in the runtime since the last call (and resets it). */
  takeChanged(): boolean {
    const changed = this.changedValue;
    this.changedValue = false;
    return changed;
  }

  /**
   * Applies the actions for a pod that should run. `stillWanted` is asked before each container
   * start, so a pod deleted mid-sync starts nothing more.
   */
  async syncPod(pod: V1Pod, actions: PodActions, observed: ObservedPod, grace: number, stillWanted: () => boolean): Promise<void> {
    const { cri } = this.deps;
    for (const name of [...this.waiting.keys()]) if (!actions.waiting.has(name)) this.waiting.delete(name);
    for (const [name, waiting] of actions.waiting) this.waiting.set(name, waiting);

    for (const id of actions.stopSandboxIds) {
      this.changedValue = true;
      for (const c of observed.containers.filter((c) => c.sandboxId === id && c.state === 'running')) await cri.stopContainer(c.id, 0);
      await cri.stopPodSandbox(id);
    }
    const podConfig = sandboxConfig(pod, actions.sandboxAttempt, this.deps.config);
    let sandboxId = observed.sandboxes[0]?.id ?? '';
    if (actions.createSandbox) {
      this.deps.logger.info({ attempt: actions.sandboxAttempt }, 'creating pod sandbox');
      await this.deps.dirs.ensureDir(podConfig.logDirectory ?? '');
      this.changedValue = true;
      await this.deps.podCgroups?.ensure?.(podConfig.linux?.cgroupParent ?? '', podConfig.linux?.resources ?? undefined);
      sandboxId = (await cri.runPodSandbox(podConfig)).podSandboxId;
    }
    for (const id of actions.removeContainerIds) {
      this.changedValue = true;
      await cri.removeContainer(id);
    }
    const facts = await this.runtimeFacts(pod, actions.createSandbox ? sandboxId : undefined, observed);
    const volumes = await this.prepareVolumes(pod, facts, actions, sandboxId);
    if (!volumes) return;
    const context: PodStartContext = { pod, sandboxId, podConfig, facts, volumes, gracePeriodSeconds: grace };
    const startDeps = this.startDeps();
    // Containers start in spec order, one at a time, as the upstream kubelet does.
    for (const { container, restartCount } of actions.startContainers) {
      if (!stillWanted()) return;
      const outcome = await startContainer(startDeps, context, container, restartCount);
      if (!outcome.started) {
        this.cannotStart(pod, container.name, outcome.reason, outcome.error);
        continue;
      }
      this.waiting.delete(container.name);
      this.deps.logger.info({ container: container.name, containerId: outcome.containerId, restartCount }, 'container started');
      this.deps.metrics.containerStarted(containerType(pod, container.name));
      if (restartCount > 0) this.deps.metrics.containerRestarted({ namespace: pod.metadata?.namespace ?? '', pod: pod.metadata?.name ?? '', container: container.name });
    }
  }

  /**
   * Every container stopped, each after its preStop hook, within one grace period: the app
   * containers together, then the sidecars one by one in reverse order, as upstream, so what the
   * app containers need while they shut down is still there. Then the ready sandboxes.
   */
  async killPod(pod: V1Pod, observed: ObservedPod, grace: number): Promise<void> {
    const { cri } = this.deps;
    const startedMs = this.deps.now();
    const podIp = pod.spec?.hostNetwork ? this.deps.config.nodeIp : (observed.sandboxes.find((s) => s.ready)?.ip ?? '');
    const sidecars = (pod.spec?.initContainers ?? []).filter(isSidecar);
    const stop = async (c: ObservedPod['containers'][number]): Promise<void> => {
      const container = [...(pod.spec?.containers ?? []), ...sidecars].find((spec) => spec.name === c.name);
      const preStop = container?.lifecycle?.preStop;
      if (container && preStop && c.state === 'running') {
        const outcome = await runLifecycleHook(preStop, { containerId: c.id, container, podIp }, hookDeps(cri), grace);
        if (!outcome.ok) this.deps.logger.warn({ container: c.name, containerId: c.id }, `FailedPreStopHook: ${outcome.message}`);
      }
      // What the hooks used comes off the grace period; upstream leaves at least 2 s.
      const left = Math.max(2, grace - Math.floor((this.deps.now() - startedMs) / 1000));
      this.changedValue = true;
      await cri.stopContainer(c.id, Math.min(grace, left));
    };
    const live = observed.containers.filter((c) => c.state === 'running' || c.state === 'created');
    const sidecarNames = new Set(sidecars.map((c) => c.name));
    await Promise.all(live.filter((c) => !sidecarNames.has(c.name)).map(stop));
    for (const sidecar of [...sidecars].reverse()) {
      for (const c of live.filter((l) => l.name === sidecar.name)) await stop(c);
    }
    for (const sandbox of observed.sandboxes.filter((s) => s.ready)) {
      this.changedValue = true;
      await cri.stopPodSandbox(sandbox.id);
    }
  }

  /** Every container and sandbox of the pod removed from the runtime. */
  async removePod(observed: ObservedPod): Promise<void> {
    const { cri } = this.deps;
    if (observed.containers.length > 0 || observed.sandboxes.length > 0) this.changedValue = true;
    for (const container of observed.containers) await cri.removeContainer(container.id);
    for (const sandbox of observed.sandboxes) {
      await cri.stopPodSandbox(sandbox.id);
      await cri.removePodSandbox(sandbox.id);
    }
  }

  /** Says a warning once per pod (upstream: an event). */
  warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.deps.logger.warn(message);
  }

  private startDeps(): ContainerStartDeps {
    return {
      ...this.deps,
      ensureImage: (image, policy, podConfig) => this.ensureImage(image, policy, podConfig),
      changed: () => {
        this.changedValue = true;
      },
    };
  }

  /** The container waits with the reason in its status; the log says it once (upstream: an event). */
  private cannotStart(pod: V1Pod, container: string, reason: string, error: unknown): void {
    const message = errorMessage(error);
    this.waiting.set(container, { reason, message });
    this.deps.metrics.containerStartFailed(containerType(pod, container), reason);
    this.warnOnce(`container ${container}: ${reason}: ${message}`);
  }

  /**
   * The volumes the new containers mount; undefined when they cannot be prepared (every new
   * container then waits with the reason). With nothing to start, running containers still see
   * configMap, secret and token updates through the ..data swap, at the refresh period.
   */
  private async prepareVolumes(pod: V1Pod, facts: PodRuntimeFacts, actions: PodActions, sandboxId: string): Promise<Map<string, PreparedVolume> | undefined> {
    const now = this.deps.now();
    const warn = (message: string): void => this.warnOnce(message);
    if (actions.startContainers.length > 0) {
      try {
        const volumes = await this.deps.dirs.prepareVolumes(pod, facts, warn);
        this.volumesPreparedAtMs = now;
        return volumes;
      } catch (error) {
        for (const { container } of actions.startContainers) this.cannotStart(pod, container.name, 'CreateContainerConfigError', error);
        return undefined;
      }
    }
    if (now - this.volumesPreparedAtMs >= this.deps.config.volumeRefreshMs && sandboxId) {
      this.volumesPreparedAtMs = now;
      await this.deps.dirs.prepareVolumes(pod, facts, warn).catch((error: unknown) => {
        this.warnOnce(`volumes not refreshed: ${errorMessage(error)}`);
      });
    }
    return new Map();
  }

  /** The pod IP (asked of a sandbox made in this pass) and the node facts env and volumes use. */
  private async runtimeFacts(pod: V1Pod, newSandboxId: string | undefined, observed: ObservedPod): Promise<PodRuntimeFacts> {
    let podIp = observed.sandboxes.find((s) => s.ready)?.ip ?? '';
    if (newSandboxId) podIp = (await this.deps.cri.podSandboxStatus(newSandboxId).catch(() => undefined))?.status?.network?.ip ?? '';
    const hostIp = this.deps.config.nodeIp;
    if (pod.spec?.hostNetwork) podIp = hostIp;
    return { podIp, hostIp, nodeCpuCores: cpus().length, nodeMemoryBytes: totalmem() };
  }

  private async ensureImage(image: string, policy: string, podConfig: PodSandboxConfig): Promise<void> {
    if (policy !== 'Always') {
      const present = (await this.deps.cri.imageStatus(image)).image;
      if (present) return;
      if (policy === 'Never') throw new Error(`image ${image} is not present and imagePullPolicy is Never`);
    }
    const pullStarted = this.deps.now();
    try {
      await this.deps.cri.pullImage(image, undefined, podConfig, { signal: this.deps.gone });
    } finally {
      this.pullingMs += this.deps.now() - pullStarted;
    }
  }
}

export function containerType(pod: V1Pod, name: string): 'container' | 'init_container' {
  return pod.spec?.initContainers?.some((c) => c.name === name) ? 'init_container' : 'container';
}
