// The pod lifecycle event generator: relists every sandbox and container through the CRI each
// second and reports the pod uids whose runtime state changed, so a container exit reaches the
// pod's worker (and the API) within about a second. Runtime events (container-events.ts) only
// poke it to relist at once; relisting, not the events, is what makes it lossless: a missed
// change is seen at the next relist. With a pod status cache, a relist also reads the details of
// each changed pod (sandbox IP, exit codes) into it before the pod's worker is woken, so the worker
// syncs from that picture instead of asking the runtime again.
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { CriPort } from './cri-port.js';
import { podUidLabel } from './cri-port.js';
import type { Container__Output, PodSandbox__Output } from '../api/cri/messages.js';
import type { PodStatusCache } from './pod-status-cache.js';
import { sandboxFromList, type ObservedSandbox } from './pod-runtime-state.js';

export interface PlegDeps {
  cri: Pick<CriPort, 'listPodSandbox' | 'listContainers' | 'podSandboxStatus' | 'containerStatus'>;
  relistMs: number;
  /** Filled with the changed pods' state at each relist; absent: workers read the runtime themselves. */
  cache?: PodStatusCache | undefined;
  /** Seconds one relist took (a metric). */
  observeRelist?: (seconds: number) => void;
  logger: Logger;
  onPodsChanged: (uids: string[]) => void;
}

export class Pleg {
  private fingerprints = new Map<string, string>();
  private sandboxes = new Map<string, ObservedSandbox[]>();
  private containerStates = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private running = false;
  private relistAgain = false;

  constructor(private readonly deps: PlegDeps) {}

  /** Pod uids the runtime held at the last relist, with their sandboxes. */
  podsInRuntime(): ReadonlyMap<string, ObservedSandbox[]> {
    return this.sandboxes;
  }

  /** Pods with a ready sandbox at the last relist. */
  runningPods(): number {
    return [...this.sandboxes.values()].filter((list) => list.some((s) => s.ready)).length;
  }

  /** Containers by state (running, exited, created, unknown) at the last relist. */
  containersByState(): ReadonlyMap<string, number> {
    return this.containerStates;
  }

  async relist(): Promise<string[]> {
    const startedAt = performance.now();
    const tick = this.deps.cache?.tick() ?? 0;
    const [sandboxList, containerList] = await Promise.all([this.deps.cri.listPodSandbox(), this.deps.cri.listContainers()]);
    const states = new Map<string, number>();
    const parts = new Map<string, string[]>();
    const sandboxes = new Map<string, ObservedSandbox[]>();
    const listed = new Map<string, { sandboxes: PodSandbox__Output[]; containers: Container__Output[] }>();
    const listedFor = (uid: string) => {
      const items = listed.get(uid) ?? { sandboxes: [], containers: [] };
      listed.set(uid, items);
      return items;
    };
    for (const sandbox of sandboxList.items) {
      const uid = sandbox.labels[podUidLabel];
      if (!uid) continue;
      listedFor(uid).sandboxes.push(sandbox);
      parts.set(uid, [...(parts.get(uid) ?? []), `s:${sandbox.id}:${sandbox.state}`]);
      sandboxes.set(uid, [...(sandboxes.get(uid) ?? []), sandboxFromList(sandbox)]);
    }
    for (const container of containerList.containers) {
      const uid = container.labels[podUidLabel];
      if (!uid) continue;
      listedFor(uid).containers.push(container);
      const state = container.state.replace(/^CONTAINER_/, '').toLowerCase();
      states.set(state, (states.get(state) ?? 0) + 1);
      parts.set(uid, [...(parts.get(uid) ?? []), `c:${container.id}:${container.state}`]);
    }
    const next = new Map([...parts].map(([uid, list]) => [uid, list.sort().join(',')]));
    const changed = [...new Set([...next.keys(), ...this.fingerprints.keys()])].filter((uid) => next.get(uid) !== this.fingerprints.get(uid));
    await this.cacheChanged(changed, listed, tick);
    this.fingerprints = next;
    this.sandboxes = sandboxes;
    this.containerStates = states;
    this.deps.observeRelist?.((performance.now() - startedAt) / 1000);
    return changed;
  }

  private async cacheChanged(changed: readonly string[], listed: ReadonlyMap<string, { sandboxes: PodSandbox__Output[]; containers: Container__Output[] }>, tick: number): Promise<void> {
    const cache = this.deps.cache;
    if (!cache) return;
    await Promise.all(
      changed.map(async (uid) => {
        const items = listed.get(uid);
        if (!items) return cache.delete(uid);
        cache.set(uid, await cache.inspect(items.sandboxes, items.containers), tick);
      }),
    );
  }

  start(): void {
    this.timer = setTimeout(() => void this.loop(), 0);
  }

  /** Relists now instead of at the next tick (coalesced: at most one more relist is queued). */
  poke(): void {
    if (!this.timer) return;
    if (this.running) {
      this.relistAgain = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), 0);
  }

  private async loop(): Promise<void> {
    this.running = true;
    do {
      this.relistAgain = false;
      try {
        const changed = await this.relist();
        if (this.failing) this.deps.logger.info('PLEG relist recovered');
        this.failing = false;
        if (changed.length > 0) this.deps.onPodsChanged(changed);
      } catch (error) {
        if (!this.failing) this.deps.logger.warn({ err: errorMessage(error) }, 'PLEG relist failed; retrying');
        this.failing = true;
      }
    } while (this.relistAgain && this.timer);
    this.running = false;
    if (this.timer) this.timer = setTimeout(() => void this.loop(), this.deps.relistMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
