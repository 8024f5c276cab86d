// The sync loop only selects and dispatches: it merges the pod sources (API pods bound to this
// node, static pods) into one desired set, hands each pod's latest desired state to its worker,
// tells workers of pods that left every source that they are deleted, pokes workers on runtime
// changes (PLEG) and periodically, and gives runtime pods that no source knows (orphans) a worker
// that only cleans them up.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../common/logger.js';
import { admitPod, type NodeAllocatable, type Rejection } from './admission.js';
import { isMirrorPod } from './mirror-pods.js';
import { PodWorker, type PodWorkerDeps } from './pod-worker.js';
import type { ObservedSandbox } from './pod-runtime-state.js';
import { orphanAnnotation } from './status-manager.js';

export type PodSourceName = 'api' | 'file';

function createdMs(pod: V1Pod): number {
  const created = pod.metadata?.creationTimestamp;
  return created ? new Date(created).getTime() : 0;
}

export interface SyncLoopDeps {
  workerDeps: Omit<PodWorkerDeps, 'onStateChange'>;
  logger: Logger;
  /** Sources whose first full set must arrive before orphans may be cleaned up. */
  sources: readonly PodSourceName[];
  /** Mirror pods seen in the API (the mirror pod manager reconciles them). */
  onMirrorPods?: (mirrors: V1Pod[]) => void;
  /** What new pods are admitted against; undefined: every pod is admitted. */
  allocatable?: NodeAllocatable;
  /** Sizes the QoS tier cgroups for the pods that hold resources; absent: left as they are. */
  qosCgroups?: { update(pods: readonly V1Pod[]): Promise<void> };
}

export class SyncLoop {
  private readonly sets = new Map<PodSourceName, V1Pod[]>();
  private readonly workers = new Map<string, PodWorker>();
  private stopped = false;

  constructor(private readonly deps: SyncLoopDeps) {}

  /** The full set of pods one source currently wants. */
  setSourcePods(source: PodSourceName, pods: V1Pod[]): void {
    if (source === 'api') {
      this.deps.onMirrorPods?.(pods.filter(isMirrorPod));
      pods = pods.filter((p) => !isMirrorPod(p));
    }
    this.sets.set(source, pods);
    this.dispatch();
  }

  get allSourcesSeen(): boolean {
    return this.deps.sources.every((s) => this.sets.has(s));
  }

  /** The pods currently wanted by any source, by uid. */
  desiredPods(): Map<string, V1Pod> {
    const desired = new Map<string, V1Pod>();
    for (const pods of this.sets.values()) for (const pod of pods) desired.set(pod.metadata?.uid ?? '', pod);
    return desired;
  }

  worker(uid: string): PodWorker | undefined {
    return this.workers.get(uid);
  }

  podsChanged(uids: readonly string[]): void {
    for (const uid of uids) this.workers.get(uid)?.kick();
  }

  /** Periodic: every worker syncs again; orphans found in the runtime get a clean-up worker. */
  housekeeping(runtimePods: ReadonlyMap<string, ObservedSandbox[]>): void {
    if (this.stopped) return;
    for (const worker of this.workers.values()) worker.kick();
    this.sizeQosTiers();
    if (!this.allSourcesSeen) return;
    for (const [uid, sandboxes] of runtimePods) {
      if (this.workers.has(uid)) continue;
      const first = sandboxes[0];
      const orphan: V1Pod = {
        metadata: { uid, name: first?.name ?? uid, namespace: first?.namespace ?? 'default', annotations: { [orphanAnnotation]: 'true' } },
        spec: { containers: [], terminationGracePeriodSeconds: 0 },
      };
      this.deps.logger.info({ podUid: uid, pod: `${orphan.metadata?.namespace}/${orphan.metadata?.name}` }, 'cleaning up runtime pod no source wants');
      this.startWorker({ pod: orphan, deleted: true });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const worker of this.workers.values()) worker.stop();
    await Promise.all([...this.workers.values()].map((w) => w.idle()));
  }

  private dispatch(): void {
    if (this.stopped) return;
    const desired = this.desiredPods();
    // Oldest first, as upstream admits: after a restart the pods that ran before fit again.
    const ordered = [...desired].sort(([, a], [, b]) => createdMs(a) - createdMs(b));
    for (const [uid, pod] of ordered) {
      const update = { pod, deleted: Boolean(pod.metadata?.deletionTimestamp) };
      const worker = this.workers.get(uid);
      if (worker) worker.update(update);
      else this.startWorker({ ...update, rejection: update.deleted ? undefined : this.admission(pod) });
    }
    for (const [uid, worker] of this.workers) {
      if (desired.has(uid)) continue;
      if (worker.state === 'cleanedUp') this.dropWorker(uid);
      else if (!worker.desired.deleted) worker.update({ pod: worker.desired.pod, deleted: true });
    }
    this.sizeQosTiers();
  }

  /** The pods admitted and not yet terminated: what the burstable tier's shares add up. */
  private sizeQosTiers(): void {
    const holding = [...this.workers.values()].filter((w) => w.admitted && w.state !== 'terminated' && w.state !== 'cleanedUp').map((w) => w.desired.pod);
    void this.deps.qosCgroups?.update(holding);
  }

  /** Why a new pod may not run here, judged against the pods already admitted. */
  private admission(pod: V1Pod): Rejection | undefined {
    const allocatable = this.deps.allocatable;
    // A pod the API already shows running or finished was admitted by an earlier kubelet.
    if (!allocatable || ['Running', 'Succeeded', 'Failed'].includes(pod.status?.phase ?? '')) return undefined;
    const admitted = [...this.workers.values()].filter((w) => w.admitted && !w.desired.deleted && w.state === 'syncing').map((w) => w.desired.pod);
    const rejection = admitPod(pod, admitted, allocatable);
    if (rejection) this.deps.logger.warn({ pod: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`, reason: rejection.reason }, `pod not admitted: ${rejection.message}`);
    return rejection;
  }

  private startWorker(desired: { pod: V1Pod; deleted: boolean; rejection?: Rejection | undefined }): void {
    const worker = new PodWorker(desired, {
      ...this.deps.workerDeps,
      onStateChange: (w) => {
        if (w.state === 'cleanedUp' && !this.desiredPods().has(w.uid)) this.dropWorker(w.uid);
      },
    });
    this.workers.set(worker.uid, worker);
    worker.kick();
  }

  private dropWorker(uid: string): void {
    this.workers.get(uid)?.stop();
    this.workers.delete(uid);
    this.deps.workerDeps.status.forget(uid);
  }
}
