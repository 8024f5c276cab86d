// The API server as a pod source: the pods bound to this node (fieldSelector spec.nodeName), kept
// by list + watch. A watch that ends for any reason (timeout, 410 Gone, a broken connection) is
// followed by a fresh list, so no change is lost; every change hands the full set to the sync loop.
import type { V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { PodApi } from './api-port.js';

export interface ApiPodSourceDeps {
  api: PodApi;
  nodeName: string;
  logger: Logger;
  onChange: (pods: V1Pod[]) => void;
  retryMs?: number;
}

export class ApiPodSource {
  private readonly pods = new Map<string, V1Pod>();
  private stopWatch: (() => void) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private listedOnce = false;

  constructor(private readonly deps: ApiPodSourceDeps) {}

  /** Whether the first list has completed (before it, an empty set means nothing). */
  get synced(): boolean {
    return this.listedOnce;
  }

  start(): void {
    this.stopped = false;
    void this.listAndWatch();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopWatch?.();
  }

  private emit(): void {
    this.deps.onChange([...this.pods.values()]);
  }

  private retry(): void {
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => void this.listAndWatch(), this.deps.retryMs ?? 1_000);
  }

  private async listAndWatch(): Promise<void> {
    const selector = `spec.nodeName=${this.deps.nodeName}`;
    try {
      const { pods, resourceVersion } = await this.deps.api.listPods(selector);
      if (this.stopped) return;
      this.pods.clear();
      for (const pod of pods) this.pods.set(pod.metadata?.uid ?? '', pod);
      this.listedOnce = true;
      this.emit();
      this.stopWatch = await this.deps.api.watchPods(
        selector,
        resourceVersion,
        ({ type, pod }) => {
          const uid = pod.metadata?.uid ?? '';
          if (type === 'DELETED') this.pods.delete(uid);
          else this.pods.set(uid, pod);
          this.emit();
        },
        (error) => {
          if (error) this.deps.logger.debug({ err: errorMessage(error) }, 'pod watch ended; relisting');
          this.retry();
        },
      );
      if (this.stopped) this.stopWatch();
    } catch (error) {
      this.deps.logger.warn({ err: errorMessage(error) }, 'listing pods failed; retrying');
      this.retry();
    }
  }
}
