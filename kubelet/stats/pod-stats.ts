// One pass of pod and container usage, read through the CRI (ListPodSandboxStats, ListContainers,
// ListPodSandbox at once): the kubelet never reads a runtime's cgroups itself, so the same numbers
// come from berth or containerd. Names come from the kubelet labels.
import type { ContainerStats__Output, PodSandboxStats__Output } from '../../api/cri/messages.js';
import type { CriPort } from '../cri-port.js';
import { containerNameLabel, podNameLabel, podNamespaceLabel, podUidLabel } from '../cri-port.js';
import { nanosToMs } from '../pod-runtime-state.js';

export interface InterfaceSample {
  name: string;
  rxBytes: number;
  rxErrors: number;
  txBytes: number;
  txErrors: number;
}

/** What pods and containers share: undefined where the runtime did not report a figure. */
export interface UsageSample {
  startTimeMs: number;
  timestampMs: number;
  cpuUsageSeconds: number | undefined;
  cpuUsageNanoCores: number | undefined;
  memoryWorkingSetBytes: number | undefined;
  memoryUsageBytes: number | undefined;
  memoryRssBytes: number | undefined;
}

/** One PSI line as the CRI reports it: total stall time in ns, averages in %. */
export interface PsiDataSample {
  totalNanos: number;
  avg10: number;
  avg60: number;
  avg300: number;
}

/** Pressure stall information for one resource ("full" is absent where the kernel keeps none). */
export interface PsiSample {
  some: PsiDataSample;
  full?: PsiDataSample;
}

export interface ContainerSample extends UsageSample {
  id: string;
  name: string;
  image: string;
  pageFaults: number | undefined;
  majorPageFaults: number | undefined;
  writableLayerBytes: number | undefined;
  /** Only from runtimes that read it (cgroup v2 kernels that keep PSI). */
  psi?: { cpu?: PsiSample; memory?: PsiSample; io?: PsiSample };
}

export interface PodSample extends UsageSample {
  name: string;
  namespace: string;
  uid: string;
  sandboxId: string;
  processCount: number | undefined;
  interfaces: InterfaceSample[];
  containers: ContainerSample[];
}

export type StatsCri = Pick<CriPort, 'listPodSandboxStats' | 'listContainerStats' | 'listContainers' | 'listPodSandbox'>;

const value = (wrapped: { value: string | number } | null | undefined): number | undefined => (wrapped ? Number(wrapped.value) : undefined);

type CriPsi = NonNullable<NonNullable<ContainerStats__Output['cpu']>['psi']>;
type CriPsiData = NonNullable<CriPsi['Some']>;

const psiData = (data: CriPsiData): PsiDataSample => ({ totalNanos: Number(data.Total), avg10: data.Avg10, avg60: data.Avg60, avg300: data.Avg300 });

function psiSample(psi: CriPsi | null | undefined): PsiSample | undefined {
  if (!psi?.Some) return undefined;
  return psi.Full ? { some: psiData(psi.Some), full: psiData(psi.Full) } : { some: psiData(psi.Some) };
}

function containerPsi(stats: ContainerStats__Output): Pick<ContainerSample, 'psi'> {
  const psi: NonNullable<ContainerSample['psi']> = {};
  const cpu = psiSample(stats.cpu?.psi);
  const memory = psiSample(stats.memory?.psi);
  const io = psiSample(stats.io?.psi);
  if (cpu) psi.cpu = cpu;
  if (memory) psi.memory = memory;
  if (io) psi.io = io;
  return Object.keys(psi).length > 0 ? { psi } : {};
}

function containerSample(stats: ContainerStats__Output, image: string, createdMs: number): ContainerSample {
  const cpu = stats.cpu;
  const memory = stats.memory;
  return {
    id: stats.attributes?.id ?? '',
    name: stats.attributes?.labels[containerNameLabel] ?? stats.attributes?.metadata?.name ?? '',
    image,
    startTimeMs: createdMs,
    timestampMs: nanosToMs(cpu?.timestamp ?? memory?.timestamp ?? 0) || Date.now(),
    cpuUsageSeconds: cpu?.usageCoreNanoSeconds ? Number(cpu.usageCoreNanoSeconds.value) / 1e9 : undefined,
    cpuUsageNanoCores: value(cpu?.usageNanoCores),
    memoryWorkingSetBytes: value(memory?.workingSetBytes),
    memoryUsageBytes: value(memory?.usageBytes),
    memoryRssBytes: value(memory?.rssBytes),
    pageFaults: value(memory?.pageFaults),
    majorPageFaults: value(memory?.majorPageFaults),
    writableLayerBytes: value(stats.writableLayer?.usedBytes),
    ...containerPsi(stats),
  };
}

const sum = (values: (number | undefined)[]): number | undefined => (values.some((v) => v !== undefined) ? values.reduce<number>((a, v) => a + (v ?? 0), 0) : undefined);

function podSample(stats: PodSandboxStats__Output, containers: ContainerSample[], createdMs: number): PodSample {
  const labels = stats.attributes?.labels ?? {};
  const linux = stats.linux;
  const network = linux?.network;
  const interfaces = (network?.interfaces.length ? network.interfaces : network?.defaultInterface ? [network.defaultInterface] : []).map((i) => ({
    name: i.name,
    rxBytes: value(i.rxBytes) ?? 0,
    rxErrors: value(i.rxErrors) ?? 0,
    txBytes: value(i.txBytes) ?? 0,
    txErrors: value(i.txErrors) ?? 0,
  }));
  return {
    name: labels[podNameLabel] ?? stats.attributes?.metadata?.name ?? '',
    namespace: labels[podNamespaceLabel] ?? stats.attributes?.metadata?.namespace ?? '',
    uid: labels[podUidLabel] ?? stats.attributes?.metadata?.uid ?? '',
    sandboxId: stats.attributes?.id ?? '',
    startTimeMs: createdMs,
    timestampMs: nanosToMs(linux?.cpu?.timestamp ?? 0) || Date.now(),
    // A runtime that gives no pod-level figures gets the sum of its containers.
    cpuUsageSeconds: linux?.cpu?.usageCoreNanoSeconds ? Number(linux.cpu.usageCoreNanoSeconds.value) / 1e9 : sum(containers.map((c) => c.cpuUsageSeconds)),
    cpuUsageNanoCores: value(linux?.cpu?.usageNanoCores) ?? sum(containers.map((c) => c.cpuUsageNanoCores)),
    memoryWorkingSetBytes: value(linux?.memory?.workingSetBytes) ?? sum(containers.map((c) => c.memoryWorkingSetBytes)),
    memoryUsageBytes: value(linux?.memory?.usageBytes) ?? sum(containers.map((c) => c.memoryUsageBytes)),
    memoryRssBytes: value(linux?.memory?.rssBytes) ?? sum(containers.map((c) => c.memoryRssBytes)),
    processCount: value(linux?.process?.processCount),
    interfaces,
    containers,
  };
}

/**
 * Ready pods and their running containers, as one snapshot. The pod stats carry their containers'
 * stats (berth and containerd fill them), so ListContainerStats is asked only when some running
 * container is missing there: one stats pass over the runtime's cgroups instead of two.
 */
export async function collectPodStats(cri: StatsCri): Promise<PodSample[]> {
  const [podStats, containers, sandboxes] = await Promise.all([
    cri.listPodSandboxStats({}),
    cri.listContainers({ state: { state: 'CONTAINER_RUNNING' } }),
    cri.listPodSandbox({ state: { state: 'SANDBOX_READY' } }),
  ]);
  let containerStats = podStats.stats.flatMap((pod) => pod.linux?.containers ?? []);
  const reported = new Set(containerStats.map((stats) => stats.attributes?.id ?? ''));
  if (containers.containers.some((c) => !reported.has(c.id))) containerStats = (await cri.listContainerStats({})).stats;
  const running = new Map(containers.containers.map((c) => [c.id, c]));
  const sandboxCreated = new Map(sandboxes.items.map((s) => [s.id, nanosToMs(s.createdAt)]));
  const bySandbox = new Map<string, ContainerSample[]>();
  for (const stats of containerStats) {
    const container = running.get(stats.attributes?.id ?? '');
    if (!container) continue;
    const samples = bySandbox.get(container.podSandboxId) ?? [];
    samples.push(containerSample(stats, container.image?.userSpecifiedImage || container.image?.image || container.imageRef, nanosToMs(container.createdAt)));
    bySandbox.set(container.podSandboxId, samples);
  }
  return podStats.stats
    .filter((stats) => sandboxCreated.has(stats.attributes?.id ?? ''))
    .map((stats) => {
      const id = stats.attributes?.id ?? '';
      return podSample(stats, bySandbox.get(id) ?? [], sandboxCreated.get(id) ?? 0);
    });
}
