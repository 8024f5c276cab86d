// The kubelet's stats pages at a given number of pods, the same way on any runtime: berth's
// kubelet (in this process, standalone) runs N static busybox pods on the runtime under test,
// then /metrics/cadvisor and /stats/summary are fetched from its read-only port in turn. Each
// fetch is one CRI stats pass plus rendering, what a Prometheus scrape or metrics-server costs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../common/logger.js';
import type { CriClient } from '../cri/client/cri-client.js';
import { kubeletConfig } from '../kubelet/config.js';
import { startKubelet } from '../kubelet/kubelet.js';
import { unmountUnder } from '../test/harness/unmount-under.js';
import { WORKLOAD_COMMAND } from './pod-start.js';
import { elapsedMs, summarize, type Summary } from './stats.js';

export interface StatsPagesResult {
  pods: number;
  cadvisor: Summary;
  summary: Summary;
  cadvisorBytes: number;
  summaryBytes: number;
}

function manifest(name: string, image: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image, command: WORKLOAD_COMMAND }] },
  });
}

export async function measureStatsPages(client: CriClient, criEndpoint: string, options: { image: string; cgroupParent: string; pods: number; fetches: number }): Promise<StatsPagesResult> {
  const work = mkdtempSync(join(tmpdir(), 'berth-bench-stats-'));
  const manifests = join(work, 'manifests');
  mkdirSync(manifests);
  for (let i = 0; i < options.pods; i++) writeFileSync(join(manifests, `p${i}.json`), manifest(`stats-${i}`, options.image));
  const kubelet = await startKubelet(
    kubeletConfig({
      nodeName: `bench-stats-${process.pid}`,
      nodeIp: '127.0.0.1',
      podManifestPath: manifests,
      runtimeEndpoint: criEndpoint,
      rootDir: work,
      podLogsDir: join(work, 'pods'),
      cgroupParent: options.cgroupParent,
      kubeletVersion: 'v0.1.0-berth',
      readOnlyAddress: '127.0.0.1:0',
      cdiSpecDirs: [join(work, 'cdi')],
      timings: { staticPodCheckMs: 500, podResyncMs: 1_000 },
    }),
    { logger: createLogger('warn') },
  );
  try {
    const deadline = Date.now() + 300_000;
    for (;;) {
      const running = (await client.listContainers({ state: { state: 'CONTAINER_RUNNING' } })).containers.length;
      if (running >= options.pods) break;
      if (Date.now() > deadline) throw new Error(`only ${running} of ${options.pods} pods ran within 300 s`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const base = `http://${kubelet.readOnlyAddress ?? ''}`;
    const timeFetches = async (path: string): Promise<{ samples: number[]; bytes: number }> => {
      const samples: number[] = [];
      let bytes = 0;
      // One warm-up fetch: the first pays for the CRI connection and code paths.
      await (await fetch(`${base}${path}`)).text();
      for (let i = 0; i < options.fetches; i++) {
        const t0 = process.hrtime.bigint();
        const response = await fetch(`${base}${path}`);
        const body = await response.text();
        samples.push(elapsedMs(t0));
        if (!response.ok) throw new Error(`${path} answered ${response.status}`);
        bytes = body.length;
      }
      return { samples, bytes };
    };
    const cadvisor = await timeFetches('/metrics/cadvisor');
    const summary = await timeFetches('/stats/summary');
    return { pods: options.pods, cadvisor: summarize(cadvisor.samples), summary: summarize(summary.samples), cadvisorBytes: cadvisor.bytes, summaryBytes: summary.bytes };
  } finally {
    await kubelet.stop();
    for (const sandbox of (await client.listPodSandbox().catch(() => ({ items: [] }))).items) {
      await client.stopPodSandbox(sandbox.id).catch(() => undefined);
      await client.removePodSandbox(sandbox.id).catch(() => undefined);
    }
    await unmountUnder(work);
    rmSync(work, { recursive: true, force: true });
  }
}
