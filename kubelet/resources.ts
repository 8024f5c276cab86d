// A container's resources as the upstream kubelet hands them to the runtime (pure): Kubernetes
// quantities → CPU shares (from the request), CFS quota (from the limit, 100 ms period), the
// memory limit, and an oom_score_adj by QoS class, so limits hold the same on any CRI runtime.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { LinuxContainerResources } from '../api/cri/messages.js';

const suffixes: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity ("100m", "1.5", "64Mi", "1e3") as a number; undefined if it is not one. */
export function parseQuantity(text: string | number | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (typeof text === 'number') return text;
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/.exec(text.trim());
  if (!match) return undefined;
  const base = Number(match[1]);
  if (match[2] !== undefined) return base * 10 ** Number(match[2]);
  return base * (suffixes[match[3] ?? ''] ?? 1);
}

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** The pod's QoS class, by the upstream rules (cpu and memory only). */
export function podQosClass(pod: V1Pod): QosClass {
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    for (const resource of ['cpu', 'memory']) {
      const request = c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource];
      const limit = c.resources?.limits?.[resource];
      if (request !== undefined || limit !== undefined) any = true;
      if (limit === undefined || parseQuantity(request) !== parseQuantity(limit)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

const cfsPeriodUs = 100_000;
const minShares = 2;

export function containerResources(pod: V1Pod, container: V1Container, memoryCapacityBytes: number): LinuxContainerResources {
  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  const cpuRequest = parseQuantity(requests['cpu'] ?? limits['cpu']);
  const cpuLimit = parseQuantity(limits['cpu']);
  const memoryLimit = parseQuantity(limits['memory']);
  const memoryRequest = parseQuantity(requests['memory'] ?? limits['memory']) ?? 0;
  const qos = podQosClass(pod);
  let oomScoreAdj: number;
  if (qos === 'Guaranteed') oomScoreAdj = -997;
  else if (qos === 'BestEffort') oomScoreAdj = 1000;
  else {
    // Burstable: the more of the machine's memory it requests, the less likely it is killed.
    const share = memoryCapacityBytes > 0 ? Math.floor((1000 * memoryRequest) / memoryCapacityBytes) : 0;
    oomScoreAdj = Math.min(999, Math.max(2, 1000 - share));
  }
  return {
    cpuShares: String(cpuRequest !== undefined ? Math.max(minShares, Math.floor((cpuRequest * 1000 * 1024) / 1000)) : minShares),
    ...(cpuLimit !== undefined ? { cpuPeriod: String(cfsPeriodUs), cpuQuota: String(Math.max(1000, Math.floor(cpuLimit * cfsPeriodUs))) } : {}),
    ...(memoryLimit !== undefined ? { memoryLimitInBytes: String(Math.floor(memoryLimit)) } : {}),
    oomScoreAdj: String(oomScoreAdj),
  };
}
