// The node's heartbeat: a Lease named after the node in kube-node-lease, renewed every 10 s with a
// 40 s duration (upstream defaults). The node lifecycle controller marks the node unreachable when
// renewTime falls behind, so this runs apart from the (slower) node status.
import { V1MicroTime, type V1Lease, type V1OwnerReference } from '@kubernetes/client-node';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { LeaseApi } from './api-port.js';

export const nodeLeaseNamespace = 'kube-node-lease';

export interface LeaseRenewerDeps {
  api: LeaseApi;
  nodeName: string;
  /** The Node's uid, for the owner reference that garbage-collects the lease with the node. */
  nodeUid: string;
  durationSeconds: number;
  renewMs: number;
  logger: Logger;
  now?: () => Date;
}

/** The desired lease, keeping what the server owns (resourceVersion) from `current`. */
export function renewedLease(deps: Pick<LeaseRenewerDeps, 'nodeName' | 'nodeUid' | 'durationSeconds'>, now: Date, current?: V1Lease): V1Lease {
  const owner: V1OwnerReference = { apiVersion: 'v1', kind: 'Node', name: deps.nodeName, uid: deps.nodeUid };
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      ...current?.metadata,
      name: deps.nodeName,
      namespace: nodeLeaseNamespace,
      ownerReferences: [owner],
    },
    spec: {
      ...current?.spec,
      holderIdentity: deps.nodeName,
      leaseDurationSeconds: deps.durationSeconds,
      // MicroTime: the API rejects a renewTime without microsecond precision.
      renewTime: new V1MicroTime(now.getTime()),
    },
  };
}

export class LeaseRenewer {
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => Date;

  constructor(private readonly deps: LeaseRenewerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async renewOnce(): Promise<V1Lease> {
    const current = await this.deps.api.readLease(nodeLeaseNamespace, this.deps.nodeName);
    const lease = renewedLease(this.deps, this.now(), current);
    return current ? this.deps.api.replaceLease(lease) : this.deps.api.createLease(lease);
  }

  start(): void {
    const loop = async (): Promise<void> => {
      try {
        await this.renewOnce();
      } catch (error) {
        this.deps.logger.warn({ node: this.deps.nodeName, err: errorMessage(error) }, 'lease renewal failed; retrying next period');
      }
      if (this.timer) this.timer = setTimeout(() => void loop(), this.deps.renewMs);
    };
    this.timer = setTimeout(() => void loop(), 0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
