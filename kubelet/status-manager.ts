// The status manager: the only writer of pod status to the API. Pod workers hand it the status
// they computed; it writes only what differs from what it wrote last (per pod), one write at a
// time per pod, and the last status wins. Static pods' status goes to their mirror pod (same
// namespace/name). It also sends the final delete of a terminated API pod, which is what lets
// the pod leave Terminating.
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { PodApi } from './api-port.js';
import { configSourceAnnotation, stableStringify } from './static-pods.js';

export interface PodStatusSink {
  setPodStatus(pod: V1Pod, status: V1PodStatus): void;
  /** The status last computed for a pod (for transition times), if any. */
  lastStatus(uid: string): V1PodStatus | undefined;
  /** The pod's containers and sandbox are gone: an API pod is deleted for good (grace 0, uid precondition). */
  podTerminated(pod: V1Pod): Promise<void>;
  forget(uid: string): void;
}

interface Entry {
  pod: V1Pod;
  status: V1PodStatus;
  written: string | undefined;
  writing: Promise<void> | undefined;
}

/** Marks the stand-in pod the sync loop makes for runtime objects no source wants: it has no API object. */
export const orphanAnnotation = 'berth.dev/orphan';

const isStaticPod = (pod: V1Pod): boolean => pod.metadata?.annotations?.[configSourceAnnotation] === 'file';
const isOrphan = (pod: V1Pod): boolean => pod.metadata?.annotations?.[orphanAnnotation] !== undefined;

export class StatusManager implements PodStatusSink {
  private readonly entries = new Map<string, Entry>();

  /** `api` undefined: standalone, statuses are kept in memory only. */
  constructor(private readonly deps: { api: PodApi | undefined; logger: Logger }) {}

  setPodStatus(pod: V1Pod, status: V1PodStatus): void {
    if (isOrphan(pod)) return;
    const uid = pod.metadata?.uid ?? '';
    const entry = this.entries.get(uid) ?? { pod, status, written: undefined, writing: undefined };
    entry.pod = pod;
    entry.status = status;
    this.entries.set(uid, entry);
    this.flush(uid, entry);
  }

  lastStatus(uid: string): V1PodStatus | undefined {
    return this.entries.get(uid)?.status;
  }

  /** Writes every pod whose status differs from what was written (a retry after failures). */
  resync(): void {
    for (const [uid, entry] of this.entries) this.flush(uid, entry);
  }

  /** Resolves once no write is in flight (tests and shutdown). */
  async idle(): Promise<void> {
    while ([...this.entries.values()].some((e) => e.writing)) await Promise.all([...this.entries.values()].map((e) => e.writing));
  }

  async podTerminated(pod: V1Pod): Promise<void> {
    if (!this.deps.api || isStaticPod(pod) || isOrphan(pod)) return;
    const namespace = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    const uid = pod.metadata?.uid ?? '';
    await this.entries.get(uid)?.writing;
    await this.deps.api.deletePod(namespace, name, { uid, gracePeriodSeconds: 0 });
    this.deps.logger.info({ pod: `${namespace}/${name}`, uid }, 'pod terminated; deleted from the API');
  }

  forget(uid: string): void {
    this.entries.delete(uid);
  }

  private flush(uid: string, entry: Entry): void {
    const api = this.deps.api;
    if (!api || entry.writing) return;
    const body = stableStringify(entry.status);
    if (body === entry.written) return;
    const namespace = entry.pod.metadata?.namespace ?? 'default';
    const name = entry.pod.metadata?.name ?? '';
    // An API pod's uid goes with the patch as a precondition: a new pod that took the name of
    // one being torn down never gets the old one's status. A mirror pod has a uid of its own.
    const precondition = isStaticPod(entry.pod) ? undefined : uid;
    entry.writing = api
      .patchPodStatus(namespace, name, entry.status, precondition)
      .then(
        () => {
          entry.written = body;
        },
        (error: unknown) => {
          // A static pod's mirror may not exist yet; the next resync writes again.
          this.deps.logger.debug({ pod: `${namespace}/${name}`, uid, err: errorMessage(error) }, 'pod status write failed');
        },
      )
      .finally(() => {
        entry.writing = undefined;
        if (this.entries.get(uid) === entry && stableStringify(entry.status) !== entry.written && entry.written !== undefined) this.flush(uid, entry);
      });
  }
}
