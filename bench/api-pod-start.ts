// API create → Running: a kubelet (berth's, or the upstream one) joined to the real cluster
// fixture (etcd, kube-apiserver, controller-manager, scheduler), driving the runtime under test
// through its CRI socket. Each pod
// is created through the API and timed until the API reports it Running (scheduling, the watch,
// sandbox, container start and the status write all inside), one pod at a time.
import { CoreV1Api, KubeConfig, Watch, type V1Pod } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../common/logger.js';
import { kubeletConfig } from '../kubelet/config.js';
import { startKubelet } from '../kubelet/kubelet.js';
import type { Cluster } from '../test/harness/cluster.js';
import { nodeKubeconfig } from '../test/harness/node-credentials.js';
import { summarize, type Summary } from './stats.js';
import { startUpstreamKubelet } from './upstream-kubelet.js';
import { unmountUnder } from '../test/harness/unmount-under.js';

export interface ApiPodStartResult {
  pods: number;
  createToRunning: Summary;
  samplesMs: number[];
}

export interface ApiPodStartOptions {
  cluster: Cluster;
  criEndpoint: string;
  image: string;
  cgroupParent: string;
  pods: number;
  nodeName: string;
  /** Whose kubelet joins: berth's (in this process) or the upstream binary. */
  kubelet: 'berth' | 'upstream';
}

async function startNode(options: ApiPodStartOptions, work: string): Promise<{ stop(): Promise<void> }> {
  if (options.kubelet === 'upstream') {
    return startUpstreamKubelet({ cluster: options.cluster, criEndpoint: options.criEndpoint, nodeName: options.nodeName, workDir: work });
  }
  return startKubelet(
    kubeletConfig({
      nodeName: options.nodeName,
      nodeIp: '127.0.0.1',
      kubeconfigPath: await nodeKubeconfig(work, options.nodeName, options.cluster.server),
      runtimeEndpoint: options.criEndpoint,
      rootDir: work,
      podLogsDir: join(work, 'pods'),
      cgroupParent: options.cgroupParent,
      kubeletVersion: 'v0.1.0-berth',
    }),
    { logger: createLogger('warn') },
  );
}

/** Unmounts what a kubelet left mounted below `dir` (tmpfs volumes), deepest first. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function measureApiPodStart(options: ApiPodStartOptions): Promise<ApiPodStartResult> {
  const { cluster, nodeName } = options;
  const work = mkdtempSync(join(tmpdir(), 'berth-bench-kubelet-'));
  const admin = new KubeConfig();
  admin.loadFromFile(cluster.adminKubeconfig);
  const core = admin.makeApiClient(CoreV1Api);
  const namespace = 'default';
  const kubelet = await startNode(options, work);
  const runningAt = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const watch = await new Watch(admin).watch(
    `/api/v1/namespaces/${namespace}/pods`,
    { fieldSelector: `spec.nodeName=${nodeName}` },
    (_type: string, pod: V1Pod) => {
      const name = pod.metadata?.name ?? '';
      if (pod.status?.phase !== 'Running' || runningAt.has(name)) return;
      runningAt.set(name, performance.now());
      waiters.get(name)?.();
    },
    () => undefined,
  );
  const names: string[] = [];
  try {
    await until('the node to be Ready', 60_000, async () => {
      const node = await core.readNode({ name: nodeName });
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
    });
    await until('the default ServiceAccount', 60_000, () => core.readNamespacedServiceAccount({ name: 'default', namespace }));
    const samples: number[] = [];
    // One warm-up pod, not counted: the image lands in the runtime's store.
    for (let i = 0; i <= options.pods; i++) {
      const name = `bench-${nodeName}-${i}`;
      names.push(name);
      const running = new Promise<void>((resolve) => waiters.set(name, resolve));
      const start = performance.now();
      await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': nodeName },
            terminationGracePeriodSeconds: 0,
            containers: [{ name: 'main', image: options.image, command: ['sleep', '3600'] }],
          },
        },
      });
      await Promise.race([running, new Promise((_, reject) => setTimeout(() => reject(new Error(`pod ${name} not Running after 120 s`)), 120_000))]);
      if (i > 0) samples.push((runningAt.get(name) ?? Number.NaN) - start);
    }
    return { pods: options.pods, createToRunning: summarize(samples), samplesMs: samples };
  } finally {
    watch.abort();
    for (const name of names) await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
    await until('the pods to be gone', 120_000, async () => {
      const left = await core.listNamespacedPod({ namespace, fieldSelector: `spec.nodeName=${nodeName}` });
      return left.items.length === 0 ? true : undefined;
    }).catch(() => undefined);
    await kubelet.stop();
    await core.deleteNode({ name: nodeName }).catch(() => undefined);
    // The upstream kubelet leaves volume mounts (tmpfs of projected tokens) under its root dir.
    await unmountUnder(work);
    rmSync(work, { recursive: true, force: true });
  }
}
