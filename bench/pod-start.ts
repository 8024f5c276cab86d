// Pod start through the CRI, the same client against any runtime: RunPodSandbox +
// CreateContainer + StartContainer with the image already present, then StopPodSandbox +
// RemovePodSandbox. Sequential and at a fixed concurrency.
import type { CriClient } from '../cri/client/cri-client.js';
import type { PodSandboxConfig } from '../api/cri/messages.js';
import { elapsedMs, summarize, type Summary } from './stats.js';

export interface PodTiming {
  sandboxMs: number;
  createMs: number;
  startMs: number;
  totalMs: number;
  teardownMs: number;
}

export interface PodStartResult {
  sequential: { total: Summary; sandbox: Summary; create: Summary; start: Summary; teardown: Summary; totalSamples: number[] };
  concurrent: { pods: number; concurrency: number; wallMs: number; perPod: Summary };
}

/** What every benchmark container runs; memory accounting leaves it out as workload. */
export const WORKLOAD_COMMAND = ['sleep', '3600'];

// The kubelet's default: a pid namespace per container (shareProcessNamespace: false).
const PID_NAMESPACE_PER_CONTAINER = 1;

let podCounter = 0;

export async function startOnePod(client: CriClient, image: string, cgroupParent: string): Promise<{ timing: Omit<PodTiming, 'teardownMs'>; podId: string; containerId: string }> {
  const n = ++podCounter;
  const pod: PodSandboxConfig = {
    metadata: { name: `bench-${n}`, namespace: 'bench', uid: `bench-uid-${process.pid}-${n}`, attempt: 0 },
    linux: { cgroupParent, securityContext: { namespaceOptions: { pid: PID_NAMESPACE_PER_CONTAINER } } },
  };
  const t0 = process.hrtime.bigint();
  const { podSandboxId } = await client.runPodSandbox(pod);
  const sandboxMs = elapsedMs(t0);
  const t1 = process.hrtime.bigint();
  const { containerId } = await client.createContainer(
    podSandboxId,
    { metadata: { name: 'sleeper' }, image: { image }, command: WORKLOAD_COMMAND, linux: { securityContext: { namespaceOptions: { pid: PID_NAMESPACE_PER_CONTAINER } } } },
    pod,
  );
  const createMs = elapsedMs(t1);
  const t2 = process.hrtime.bigint();
  await client.startContainer(containerId);
  const startMs = elapsedMs(t2);
  return { timing: { sandboxMs, createMs, startMs, totalMs: elapsedMs(t0) }, podId: podSandboxId, containerId };
}

export async function tearDownPod(client: CriClient, podId: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  await client.stopPodSandbox(podId);
  await client.removePodSandbox(podId);
  return elapsedMs(t0);
}

export async function boundedAll<T>(count: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await work(i);
      }
    }),
  );
  return results;
}

export async function measurePodStart(
  client: CriClient,
  options: { image: string; cgroupParent: string; sequentialPods: number; concurrentPods: number; concurrency: number },
): Promise<PodStartResult> {
  const sequential: PodTiming[] = [];
  for (let i = 0; i < options.sequentialPods; i++) {
    const { timing, podId } = await startOnePod(client, options.image, options.cgroupParent);
    sequential.push({ ...timing, teardownMs: await tearDownPod(client, podId) });
  }
  const wallStart = process.hrtime.bigint();
  const started = await boundedAll(options.concurrentPods, options.concurrency, () => startOnePod(client, options.image, options.cgroupParent));
  const wallMs = elapsedMs(wallStart);
  await boundedAll(started.length, options.concurrency, (i) => tearDownPod(client, started[i]?.podId ?? ''));
  return {
    sequential: {
      total: summarize(sequential.map((t) => t.totalMs)),
      sandbox: summarize(sequential.map((t) => t.sandboxMs)),
      create: summarize(sequential.map((t) => t.createMs)),
      start: summarize(sequential.map((t) => t.startMs)),
      teardown: summarize(sequential.map((t) => t.teardownMs)),
      totalSamples: sequential.map((t) => Math.round(t.totalMs * 10) / 10),
    },
    concurrent: {
      pods: options.concurrentPods,
      concurrency: options.concurrency,
      wallMs,
      perPod: summarize(started.map((s) => s.timing.totalMs)),
    },
  };
}
