// The kubelet's read-only port scraped by a real Prometheus, run once per CRI runtime: a pod
// burning CPU under a 500m limit, an idle pod and a pod holding 50 MiB, as static pods of a
// standalone kubelet; Prometheus ranks them from /metrics/cadvisor, and /metrics/resource and
// /stats/summary name the same pods; the kubelet's own /metrics counts them.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ownMemoryCgroup, removeCgroupPath } from '../../../bench/cgroups.js';
import { createLogger } from '../../../common/logger.js';
import { CriClient } from '../../../cri/client/cri-client.js';
import { startKubelet, type Kubelet } from '../../../kubelet/kubelet.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';
import { startPrometheus, type Prometheus } from '../../harness/prometheus.js';
import { standaloneKubeletConfig, type SuiteRuntime, type SuiteRuntimeKind } from './suite-runtimes.js';
import { eventually as poll } from '../../harness/eventually.js';

const eventually = <T>(probe: () => Promise<T | undefined>, intervalMs = 500): Promise<T> => poll(probe, intervalMs);

const mib = 2 ** 20;

export function metricsSuite(runtime: SuiteRuntimeKind, cniOctet: number): void {
  describe(`kubelet read-only port on ${runtime.name}, scraped by a real Prometheus`, () => {
    const registryHost = inject('registryHost');
    const since = Date.now();
    const cgroupParent = `${ownMemoryCgroup()}/berth-kubelet-metrics-${runtime.name}`;
    let work = '';
    let network: CniTestNetwork | undefined;
    let criRuntime: SuiteRuntime | undefined;
    let kubelet: Kubelet | undefined;
    let prometheus: Prometheus | undefined;
    let base = '';

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'berth-kubelet-metrics-'));
      const manifests = join(work, 'manifests');
      mkdirSync(manifests);
      const pod = (name: string, command: string, resources: Record<string, unknown> = {}, probes: Record<string, unknown> = {}) =>
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name },
          spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: `${registryHost}/busybox:latest`, command: ['sh', '-c', command], resources, ...probes }] },
        });
      writeFileSync(join(manifests, 'busy.json'), pod('busy', 'while :; do :; done', { limits: { cpu: '500m', memory: '64Mi' } }));
      // The idle pod is probed: a readiness probe that passes and a liveness probe on a file that is not there
      // (a threshold it never reaches), for prober_probe_total.
      writeFileSync(
        join(manifests, 'idle.json'),
        pod(
          'idle',
          'sleep 3600',
          {},
          {
            readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
            livenessProbe: { exec: { command: ['cat', '/nothing'] }, periodSeconds: 1, failureThreshold: 1000 },
          },
        ),
      );
      writeFileSync(join(manifests, 'holder.json'), pod('holder', 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=50 2>/dev/null; sleep 3600'));
      network = cniTestNetwork(`kubelet-metrics-${runtime.name}`, cniOctet);
      criRuntime = await runtime.start({ registryHost, cniConfDir: network.confDir, workDir: work });
      kubelet = await startKubelet(
        standaloneKubeletConfig({ nodeName: 'metrics-node', manifests, runtimeEndpoint: criRuntime.endpoint, workDir: work, cgroupParent, readOnlyAddress: '127.0.0.1:0' }),
        { logger: createLogger('warn') },
      );
      base = `http://${kubelet.readOnlyAddress ?? ''}`;
      prometheus = await startPrometheus([{ job: 'kubelet-cadvisor', target: kubelet.readOnlyAddress ?? '', path: '/metrics/cadvisor' }]);
    });

    afterAll(async () => {
      await prometheus?.stop();
      await kubelet?.stop();
      const cri = criRuntime ? new CriClient({ endpoint: criRuntime.endpoint }) : undefined;
      for (const sandbox of (await cri?.listPodSandbox().catch(() => ({ items: [] })))?.items ?? []) {
        await cri?.stopPodSandbox(sandbox.id).catch(() => undefined);
        await cri?.removePodSandbox(sandbox.id).catch(() => undefined);
      }
      cri?.close();
      await criRuntime?.stop();
      await network?.remove();
      removeCgroupPath(cgroupParent, since);
      // berth's runtime anchors the same parent below its own cgroup in the memory hierarchy.
      removeCgroupPath(`${ownMemoryCgroup()}${cgroupParent}`, since);
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('lets Prometheus rank the busy pod first with about the CPU it was given, and see the memory a pod holds', async () => {
      const byPod = await eventually(async () => {
        const result = await prometheus!.query('sum by (pod) (rate(container_cpu_usage_seconds_total{container!=""}[30s]))');
        const rates = new Map(result.map((r) => [r.metric['pod'] ?? '', Number(r.value[1])]));
        // Wait for a few seconds of samples of all three pods, the busy one over its first second.
        return rates.size === 3 && (rates.get('busy-metrics-node') ?? 0) > 0.3 ? rates : undefined;
      });
      const ranked = [...byPod].sort((a, b) => b[1] - a[1]).map(([pod]) => pod);
      expect(ranked[0]).toBe('busy-metrics-node');
      expect(byPod.get('busy-metrics-node')).toBeLessThan(0.6);
      expect(byPod.get('idle-metrics-node')).toBeLessThan(0.05);

      const held = await eventually(async () => {
        const [sample] = await prometheus!.query('container_memory_working_set_bytes{pod="holder-metrics-node",container="main"}');
        const bytes = Number(sample?.value[1] ?? 0);
        return bytes >= 50 * mib ? bytes : undefined;
      });
      expect(held).toBeLessThan(90 * mib);
      const [cores] = await prometheus!.query('machine_cpu_cores');
      expect(Number(cores?.value[1])).toBeGreaterThan(0);
    });

    // The runtime's own cAdvisor series come through CRI ListPodSandboxMetrics: berth answers it,
    // containerd 1.6 answers Unimplemented and the page keeps the stats-derived series only.
    it("shows the runtime's throttling and limit series where the runtime has them", async () => {
      if (runtime.name === 'containerd') {
        const page = await (await fetch(`${base}/metrics/cadvisor`)).text();
        expect(page).toMatch(/^container_cpu_usage_seconds_total\{/m);
        expect(page).not.toMatch(/^container_cpu_cfs_throttled_periods_total/m);
        return;
      }
      const throttled = await eventually(async () => {
        const [sample] = await prometheus!.query('rate(container_cpu_cfs_throttled_periods_total{pod="busy-metrics-node",container="main"}[30s])');
        const rate = Number(sample?.value[1] ?? 0);
        return rate > 0 ? rate : undefined;
      });
      // A busy loop under a 500m quota is throttled in most of the 10 periods a second.
      expect(throttled).toBeGreaterThan(2);
      const limits = await prometheus!.query('container_spec_memory_limit_bytes{pod="busy-metrics-node"}');
      const byContainer = new Map(limits.map((r) => [r.metric['container'] ?? '', Number(r.value[1])]));
      // The container's own limit, and its Guaranteed pod's cgroup (container="") at the same sum.
      expect(byContainer.get('main')).toBe(64 * mib);
      expect(byContainer.get('')).toBe(64 * mib);
      const [quota] = await prometheus!.query('container_spec_cpu_quota{pod="busy-metrics-node",container="main"}');
      expect(Number(quota?.value[1])).toBe(50_000);
    });

    it('counts every probe attempt by type and result on /metrics/probes', async () => {
      const counts = await eventually(async () => {
        const text = await (await fetch(`${base}/metrics/probes`)).text();
        const count = (type: string, result: string): number =>
          Number(
            new RegExp(`^prober_probe_total\\{probe_type="${type}",result="${result}",container="main",pod="idle-metrics-node",namespace="default",pod_uid="[^"]+"\\} (\\d+)$`, 'm').exec(text)?.[1] ??
              0,
          );
        const seen = { ready: count('Readiness', 'successful'), live: count('Liveness', 'failed') };
        return seen.ready >= 2 && seen.live >= 2 ? seen : undefined;
      });
      expect(counts.ready).toBeGreaterThanOrEqual(2);
      expect(counts.live).toBeGreaterThanOrEqual(2);
    });

    it('serves the kubelet resource metrics and the stats summary for the same pods', async () => {
      const resource = await (await fetch(`${base}/metrics/resource`)).text();
      // Each sample carries the time it was read (milliseconds), as the upstream kubelet's do.
      expect(resource).toMatch(/^node_cpu_usage_seconds_total [0-9.e+]+ \d{13}$/m);
      expect(resource).toMatch(/^pod_memory_working_set_bytes\{pod="holder-metrics-node",namespace="default"\} \d+/m);
      expect(resource).toMatch(/^container_cpu_usage_seconds_total\{container="main",pod="busy-metrics-node",namespace="default"\} [0-9.e+]+ \d{13}$/m);
      expect(resource).toMatch(/^resource_scrape_error 0$/m);

      interface FsStats {
        usedBytes: number;
        capacityBytes?: number;
        inodesUsed: number;
      }
      interface Summary {
        node: { nodeName: string; memory: { workingSetBytes: number }; fs: FsStats };
        pods: { podRef: { name: string }; containers: { name: string; cpu: { usageCoreNanoSeconds?: number }; logs?: FsStats }[]; 'ephemeral-storage'?: FsStats }[];
      }
      const summary = (await (await fetch(`${base}/stats/summary`)).json()) as Summary;
      expect(summary.node.nodeName).toBe('metrics-node');
      expect(summary.node.memory.workingSetBytes).toBeGreaterThan(0);
      // Storage: the node's filesystem, each container's log directory, each pod's ephemeral storage.
      expect(summary.node.fs.capacityBytes).toBeGreaterThan(summary.node.fs.usedBytes);
      for (const pod of summary.pods) {
        expect(pod.containers[0]?.logs?.inodesUsed).toBeGreaterThanOrEqual(2);
        expect(pod['ephemeral-storage']?.usedBytes).toBeGreaterThanOrEqual(pod.containers[0]?.logs?.usedBytes ?? 0);
      }
      expect(summary.pods.map((p) => p.podRef.name).sort()).toEqual(['busy-metrics-node', 'holder-metrics-node', 'idle-metrics-node']);
      const busy = summary.pods.find((p) => p.podRef.name === 'busy-metrics-node');
      expect(busy?.containers[0]?.cpu.usageCoreNanoSeconds).toBeGreaterThan(1e9);
    });

    it('serves its own metrics: running pods and containers, container starts, the pod start SLI and PLEG relists', async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const value = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? Number.NaN);
      expect(value(/^kubelet_running_pods (\d+)$/m)).toBe(3);
      expect(value(/^kubelet_running_containers\{container_state="running"\} (\d+)$/m)).toBe(3);
      expect(value(/^kubelet_started_containers_total\{container_type="container"\} (\d+)$/m)).toBeGreaterThanOrEqual(3);
      expect(value(/^kubelet_pod_start_sli_duration_seconds_count (\d+)$/m)).toBe(3);
      expect(value(/^kubelet_pleg_relist_duration_seconds_count (\d+)$/m)).toBeGreaterThan(0);
    });

    it('answers an unknown path with 404 and a write with 405', async () => {
      const missing = await fetch(`${base}/nope`);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain('/metrics/cadvisor');
      expect((await fetch(`${base}/stats/summary`, { method: 'POST' })).status).toBe(405);
    });
  });
}
