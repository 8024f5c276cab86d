// The pod's cgroup in the kubelet's QoS layout (cgroupfs driver) and its pod-level limits, as
// the upstream kubelet sizes them (pkg/kubelet/cm ResourceConfigForPod). Pure: the runtime
// creates the cgroup from the sandbox config and writes these limits there.
//
//   <kubepods>/pod<uid>              Guaranteed
//   <kubepods>/burstable/pod<uid>    Burstable
//   <kubepods>/besteffort/pod<uid>   BestEffort
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { LinuxContainerResources } from '../api/cri/messages.js';
import { sliceNameOf, type CgroupDriver } from '../common/systemd/slice-names.js';
import { isSidecar } from './pod-actions.js';
import { parseQuantity, podQosClass, type QosClass } from './resources.js';

const cfsPeriodUs = 100_000;
/** The kernel's bounds for cpu.shares (and Kubernetes' MinShares/MaxShares). */
export const minShares = 2;
export const maxShares = 262_144;
const minQuotaUs = 1_000;

/**
 * The pod's cgroup_parent: the cgroupfs path, or with the systemd driver the same name as a
 * slice (/kubepods/burstable/pod<uid> → kubepods-burstable-pod<uid with "_" for "-">.slice).
 */
export function podCgroupParent(pod: V1Pod, kubepods: string, driver: CgroupDriver | undefined = 'cgroupfs'): string {
  const base = kubepods.replace(/\/+$/, '');
  const uid = pod.metadata?.uid ?? '';
  const tier: Record<QosClass, string> = { Guaranteed: '', Burstable: '/burstable', BestEffort: '/besteffort' };
  const path = `${base}${tier[podQosClass(pod)]}/pod${uid}`;
  return driver === 'systemd' ? sliceNameOf(path) : path;
}

type Amounts = { cpu: number; memory: number };

function amounts(container: V1Container, kind: 'requests' | 'limits'): Amounts {
  const of = (resource: string): number => {
    const limit = container.resources?.limits?.[resource];
    // A limit without a request is a request of the same amount (API defaulting).
    const text = kind === 'limits' ? limit : (container.resources?.requests?.[resource] ?? limit);
    return parseQuantity(text) ?? 0;
  };
  return { cpu: of('cpu'), memory: of('memory') };
}

const add = (a: Amounts, b: Amounts): Amounts => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory });
const max = (a: Amounts, b: Amounts): Amounts => ({ cpu: Math.max(a.cpu, b.cpu), memory: Math.max(a.memory, b.memory) });

/**
 * What the pod holds at its peak: the app containers and sidecars together, or a regular init
 * container with the sidecars started before it, whichever is more (upstream PodRequests/PodLimits).
 */
function podAmounts(pod: V1Pod, kind: 'requests' | 'limits'): Amounts {
  let sidecars: Amounts = { cpu: 0, memory: 0 };
  let initPeak: Amounts = { cpu: 0, memory: 0 };
  for (const init of pod.spec?.initContainers ?? []) {
    if (isSidecar(init)) sidecars = add(sidecars, amounts(init, kind));
    else initPeak = max(initPeak, add(sidecars, amounts(init, kind)));
  }
  const running = (pod.spec?.containers ?? []).reduce((sum, c) => add(sum, amounts(c, kind)), sidecars);
  return max(running, initPeak);
}

/** The pod's cpu request at its peak, in cpus (what the burstable tier's shares add up). */
export function podCpuRequests(pod: V1Pod): number {
  return podAmounts(pod, 'requests').cpu;
}

function everyContainerLimits(pod: V1Pod, resource: 'cpu' | 'memory'): boolean {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  return all.every((c) => (parseQuantity(c.resources?.limits?.[resource]) ?? 0) > 0);
}

/** Kubernetes' MilliCPUToShares: 1 CPU is 1024 shares, at least 2. */
export function cpuToShares(cpus: number): number {
  if (cpus <= 0) return minShares;
  return Math.min(maxShares, Math.max(minShares, Math.floor(cpus * 1024)));
}

/**
 * The pod cgroup's limits without the overhead (CRI carries that apart; the runtime adds it): cpu
 * shares from the summed requests (2 for BestEffort); a cpu quota and a memory limit only when
 * every container has that limit (one unlimited container leaves the pod unlimited).
 */
export function podCgroupResources(pod: V1Pod): LinuxContainerResources {
  if (podQosClass(pod) === 'BestEffort') return { cpuShares: String(minShares) };
  const requests = podAmounts(pod, 'requests');
  const limits = podAmounts(pod, 'limits');
  const resources: LinuxContainerResources = { cpuShares: String(cpuToShares(requests.cpu)) };
  if (everyContainerLimits(pod, 'cpu') && limits.cpu > 0) {
    resources.cpuPeriod = String(cfsPeriodUs);
    resources.cpuQuota = String(Math.max(minQuotaUs, Math.floor(limits.cpu * cfsPeriodUs)));
  }
  if (everyContainerLimits(pod, 'memory') && limits.memory > 0) resources.memoryLimitInBytes = String(Math.floor(limits.memory));
  return resources;
}

/** The RuntimeClass's pod overhead (pod.spec.overhead) as CRI resources; undefined without one. */
export function podOverheadResources(pod: V1Pod): LinuxContainerResources | undefined {
  const cpu = parseQuantity(pod.spec?.overhead?.['cpu']) ?? 0;
  const memory = parseQuantity(pod.spec?.overhead?.['memory']) ?? 0;
  if (cpu <= 0 && memory <= 0) return undefined;
  return {
    ...(cpu > 0 ? { cpuShares: String(cpuToShares(cpu)), cpuPeriod: String(cfsPeriodUs), cpuQuota: String(Math.max(minQuotaUs, Math.floor(cpu * cfsPeriodUs))) } : {}),
    ...(memory > 0 ? { memoryLimitInBytes: String(Math.floor(memory)) } : {}),
  };
}
