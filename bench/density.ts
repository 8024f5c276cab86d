// Memory against the number of running pods, and CRI latency with a full node (110 pods): the
// same client, pods and calls against any runtime.
import type { CriClient } from '../cri/client/cri-client.js';
import { memoryOf, listProcesses, runtimeProcesses, type MemoryUse } from './process-memory.js';
import { boundedAll, startOnePod, tearDownPod, WORKLOAD_COMMAND } from './pod-start.js';
import { elapsedMs, summarize, type Summary } from './stats.js';

export interface MemoryPoint {
  pods: number;
  daemon: MemoryUse;
  helpers: MemoryUse;
  total: MemoryUse;
}

export interface DensityResult {
  memory: MemoryPoint[];
  /** Least-squares slope of total PSS over pods: what one more pod costs the runtime. */
  pssPerPodBytes: number;
  latencyAtPods: number;
  latency: Record<string, Summary | { error: string }>;
}

export interface RuntimeIdentity {
  daemonPid: number;
  /** A string in the command line of every helper process of this instance. */
  marker: string;
}

function sampleMemory(identity: RuntimeIdentity, pods: number): MemoryPoint {
  const processes = runtimeProcesses(listProcesses(), identity.daemonPid, identity.marker, WORKLOAD_COMMAND.join(' '));
  const helpers = processes.filter((p) => p.pid !== identity.daemonPid).map((p) => p.pid);
  return {
    pods,
    daemon: memoryOf([identity.daemonPid]),
    helpers: memoryOf(helpers),
    total: memoryOf(processes.map((p) => p.pid)),
  };
}

function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

async function callLatency(calls: number, call: () => Promise<unknown>): Promise<Summary | { error: string }> {
  const samples: number[] = [];
  try {
    for (let i = 0; i < calls; i++) {
      const t0 = process.hrtime.bigint();
      await call();
      samples.push(elapsedMs(t0));
    }
  } catch (error) {
    return { error: error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error) };
  }
  return summarize(samples);
}

export async function measureDensity(
  client: CriClient,
  identity: RuntimeIdentity,
  options: { image: string; cgroupParent: string; steps: number[]; latencyPods: number; calls: number; concurrency: number },
): Promise<DensityResult> {
  const podIds: string[] = [];
  const containerIds: string[] = [];
  const memory: MemoryPoint[] = [];
  const grow = async (target: number): Promise<void> => {
    const missing = target - podIds.length;
    if (missing <= 0) return;
    const started = await boundedAll(missing, options.concurrency, () => startOnePod(client, options.image, options.cgroupParent));
    for (const s of started) {
      podIds.push(s.podId);
      containerIds.push(s.containerId);
    }
  };
  try {
    // Let the daemon settle (lazy initialisation, GC) before the idle sample.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    memory.push(sampleMemory(identity, 0));
    for (const step of options.steps) {
      await grow(step);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      memory.push(sampleMemory(identity, step));
    }
    await grow(options.latencyPods);
    const someContainer = containerIds[Math.floor(containerIds.length / 2)] ?? '';
    const latency: Record<string, Summary | { error: string }> = {
      Version: await callLatency(options.calls, () => client.version()),
      ListPodSandbox: await callLatency(options.calls, () => client.listPodSandbox()),
      ListContainers: await callLatency(options.calls, () => client.listContainers()),
      ContainerStatus: await callLatency(options.calls, () => client.containerStatus(someContainer)),
      ListContainerStats: await callLatency(options.calls, () => client.listContainerStats()),
    };
    return {
      memory,
      pssPerPodBytes: slope(memory.map((m) => ({ x: m.pods, y: m.total.pssBytes }))),
      latencyAtPods: podIds.length,
      latency,
    };
  } finally {
    await boundedAll(podIds.length, options.concurrency, (i) => tearDownPod(client, podIds[i] ?? ''));
  }
}
