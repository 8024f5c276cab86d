// Mirror pods: the API's read-only copy of each static pod, so `kubectl get pods` shows what the
// node runs on its own. NodeRestriction lets a node create only pods that carry the mirror
// annotation, are bound to itself and are owned by its Node object.
import type { V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { PodApi } from './api-port.js';
import { configHashAnnotation, configMirrorAnnotation } from './static-pods.js';

export function isMirrorPod(pod: V1Pod): boolean {
  return pod.metadata?.annotations?.[configMirrorAnnotation] !== undefined;
}

export function mirrorPodFor(staticPod: V1Pod, node: { name: string; uid: string }): V1Pod {
  const { uid: _uid, ...metadata } = staticPod.metadata ?? {};
  const hash = staticPod.metadata?.annotations?.[configHashAnnotation] ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...metadata,
      annotations: { ...metadata.annotations, [configMirrorAnnotation]: hash },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid, controller: true }],
    },
    spec: { ...staticPod.spec, containers: staticPod.spec?.containers ?? [], nodeName: node.name },
  };
}

const key = (pod: V1Pod): string => `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;

export class MirrorPods {
  private syncing = false;

  constructor(private readonly deps: { api: PodApi; nodeName: string; nodeUid: () => string | undefined; logger: Logger }) {}

  /** Creates missing mirror pods and deletes those whose static pod changed or went away. */
  async sync(staticPods: V1Pod[], apiMirrors: V1Pod[]): Promise<void> {
    const nodeUid = this.deps.nodeUid();
    if (this.syncing || !nodeUid) return;
    this.syncing = true;
    try {
      const wanted = new Map(staticPods.map((p) => [key(p), p]));
      const present = new Set<string>();
      for (const mirror of apiMirrors) {
        const name = key(mirror);
        const hash = wanted.get(name)?.metadata?.annotations?.[configHashAnnotation];
        const current = hash !== undefined && mirror.metadata?.annotations?.[configMirrorAnnotation] === hash;
        // Someone deleted the mirror (it waits in Terminating for the node to finish it), or it
        // shows an old version or a pod that is gone: delete it for good; it is made again below
        // once the API has let go of its name.
        if (current && !mirror.metadata?.deletionTimestamp) {
          present.add(name);
          continue;
        }
        present.add(name);
        await this.attempt(`delete mirror pod ${name}`, () =>
          this.deps.api.deletePod(mirror.metadata?.namespace ?? 'default', mirror.metadata?.name ?? '', {
            ...(mirror.metadata?.uid ? { uid: mirror.metadata.uid } : {}),
            gracePeriodSeconds: 0,
          }),
        );
      }
      for (const [name, pod] of wanted) {
        if (present.has(name)) continue;
        await this.attempt(`create mirror pod ${name}`, () => this.deps.api.createPod(mirrorPodFor(pod, { name: this.deps.nodeName, uid: nodeUid })));
      }
    } finally {
      this.syncing = false;
    }
  }

  private async attempt(what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
      this.deps.logger.info(what);
    } catch (error) {
      this.deps.logger.warn({ err: errorMessage(error) }, `${what} failed; retrying at the next sync`);
    }
  }
}
