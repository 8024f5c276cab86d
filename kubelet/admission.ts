// Pod admission (pure), the checks the upstream kubelet makes before it runs a pod the scheduler
// (or a manifest file) gave it: room for one more pod, cpu and memory requests within what is
// allocatable next to the pods already admitted, and a nodeSelector this node matches. A refused
// pod never runs; its status says Failed with the upstream reason (OutOfpods, OutOfcpu,
// OutOfmemory, NodeAffinity, NodePorts, TaintToleration). Static pods (from the manifest
// directory) are not held to the node's taints, as upstream.
import type { V1Container, V1ContainerPort, V1Pod, V1Taint } from '@kubernetes/client-node';
import { parseQuantity } from './resources.js';
import { isSidecar } from './pod-actions.js';
import { untoleratedTaint } from './taints.js';

export interface NodeAllocatable {
  cpuMilli: number;
  memoryBytes: number;
  pods: number;
  labels: Record<string, string>;
  /** The Node's taints as the kubelet last read them. */
  taints: readonly V1Taint[];
  /** Device counts by extended resource name (nvidia.com/gpu); absent means none. */
  extended?: Readonly<Record<string, number>>;
}

export interface Rejection {
  reason: string;
  message: string;
}

function request(containers: V1Container[] | undefined, resource: string): number[] {
  return (containers ?? []).map((c) => parseQuantity(c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource]) ?? 0);
}

/** Upstream's effective request: the larger of the app containers' sum and the largest init container. */
export function podRequests(pod: V1Pod): { cpuMilli: number; memoryBytes: number } {
  const effective = (resource: string): number => {
    const apps = request(pod.spec?.containers, resource).reduce((a, b) => a + b, 0);
    const inits = Math.max(0, ...request(pod.spec?.initContainers, resource));
    return Math.max(apps, inits);
  };
  return { cpuMilli: Math.round(effective('cpu') * 1000), memoryBytes: Math.round(effective('memory')) };
}

export function admitPod(pod: V1Pod, admitted: readonly V1Pod[], node: NodeAllocatable): Rejection | undefined {
  if (admitted.length + 1 > node.pods) {
    return { reason: 'OutOfpods', message: `Node didn't have enough resource: pods, requested: 1, used: ${admitted.length}, capacity: ${node.pods}` };
  }
  const wanted = podRequests(pod);
  const used = admitted.map(podRequests).reduce((a, b) => ({ cpuMilli: a.cpuMilli + b.cpuMilli, memoryBytes: a.memoryBytes + b.memoryBytes }), { cpuMilli: 0, memoryBytes: 0 });
  if (wanted.cpuMilli > 0 && used.cpuMilli + wanted.cpuMilli > node.cpuMilli) {
    return { reason: 'OutOfcpu', message: `Node didn't have enough resource: cpu, requested: ${wanted.cpuMilli}, used: ${used.cpuMilli}, capacity: ${node.cpuMilli}` };
  }
  if (wanted.memoryBytes > 0 && used.memoryBytes + wanted.memoryBytes > node.memoryBytes) {
    return { reason: 'OutOfmemory', message: `Node didn't have enough resource: memory, requested: ${wanted.memoryBytes}, used: ${used.memoryBytes}, capacity: ${node.memoryBytes}` };
  }
  for (const [resource, wanted] of Object.entries(extendedRequests(pod))) {
    const capacity = node.extended?.[resource] ?? 0;
    const used = admitted.map((p) => extendedRequests(p)[resource] ?? 0).reduce((a, b) => a + b, 0);
    if (used + wanted > capacity) {
      return { reason: `OutOf${resource}`, message: `Node didn't have enough resource: ${resource}, requested: ${wanted}, used: ${used}, capacity: ${capacity}` };
    }
  }
  const mismatch = Object.entries(pod.spec?.nodeSelector ?? {}).find(([key, value]) => node.labels[key] !== value);
  if (mismatch) return { reason: 'NodeAffinity', message: `Predicate NodeAffinity failed: node does not have the label ${mismatch[0]}=${mismatch[1]}` };
  const taken = new Set(admitted.flatMap(hostPorts));
  const clash = hostPorts(pod).find((port) => taken.has(port));
  if (clash) return { reason: 'NodePorts', message: `Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports (${clash})` };
  if (pod.metadata?.annotations?.['kubernetes.io/config.source'] !== 'file') {
    const taint = untoleratedTaint(node.taints, pod.spec?.tolerations ?? [], ['NoExecute']);
    if (taint) {
      return { reason: 'TaintToleration', message: `Predicate TaintToleration failed: node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}` };
    }
  }
  return undefined;
}

/**
 * Extended resources (names with a domain, e.g. nvidia.com/gpu) the pod's containers ask for,
 * upstream's way: app containers and sidecars (they run together) summed, a regular init
 * container counted alone when it asks for more.
 */
export function extendedRequests(pod: V1Pod): Record<string, number> {
  const of = (c: V1Container): [string, number][] => Object.entries(containerExtendedResources(c));
  const inits = pod.spec?.initContainers ?? [];
  const together: Record<string, number> = {};
  for (const c of [...(pod.spec?.containers ?? []), ...inits.filter(isSidecar)]) {
    for (const [name, count] of of(c)) together[name] = (together[name] ?? 0) + count;
  }
  const out = { ...together };
  for (const c of inits.filter((i) => !isSidecar(i))) for (const [name, count] of of(c)) out[name] = Math.max(out[name] ?? 0, count);
  return Object.fromEntries(Object.entries(out).filter(([, count]) => count > 0));
}

/**
 * Extended resources (names with a domain) one container asks for: whole counts from its limits,
 * or its requests where no limit is set (the API makes the two equal for these).
 */
export function containerExtendedResources(container: V1Container): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries({ ...container.resources?.requests, ...container.resources?.limits })) {
    const count = Number(value);
    if (name.includes('/') && !name.startsWith('kubernetes.io/') && Number.isInteger(count) && count > 0) out[name] = count;
  }
  return out;
}

/** "protocol/hostIP/port" of each host port the pod asks for; 0.0.0.0 clashes with every IP, so it is one key. */
function hostPorts(pod: V1Pod): string[] {
  const ports: V1ContainerPort[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].flatMap((c) => c.ports ?? []);
  return ports.filter((p) => (p.hostPort ?? 0) > 0).map((p) => `${p.protocol ?? 'TCP'}/${String(p.hostPort)}`);
}
