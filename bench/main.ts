// `npm run bench`: the same CRI workloads against berth and Debian's containerd 1.6 on this
// machine, in one run, through the same CRI client, with the same registry, CNI plugins and runc:
// pod start and teardown, exec round trips, the kubelet's stats pages, memory against pods, CRI latency on a full node, cold image pulls, API
// create → Running through berth's kubelet on the real cluster fixture, and the floors (runc
// alone, one CNI ADD). Writes bench/results/latest.json, BENCHMARKS.md and the
// charts, and prints the table with ratios.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { CriClient } from '../cri/client/cri-client.js';
import { packageRoot } from '../common/package-root.js';
import { startBerth } from '../test/harness/berth.js';
import { startCluster, type Cluster } from '../test/harness/cluster.js';
import { cniTestNetwork } from '../test/harness/cni-network.js';
import { startContainerd } from '../test/harness/containerd.js';
import { startRegistry } from '../test/harness/registry.js';
import { seededOciLayout, seededRegistryDir, toolsDir } from '../test/harness/tools.js';
import { measureApiPodStart, type ApiPodStartResult } from './api-pod-start.js';
import { ensureBigImage, pushBigImage } from './big-image.js';
import { ownMemoryCgroup, removeCgroupPath } from './cgroups.js';
import { measureDensity, type DensityResult } from './density.js';
import { measureExecLatency, type ExecLatencyResult } from './exec-latency.js';
import { measureStatsPages, type StatsPagesResult } from './stats-pages.js';
import { measureFloors, type Floors } from './floors.js';
import { measurePull, measurePullFloors, type PullFloors, type PullResult } from './image-pull.js';
import { measurePodStart, type PodStartResult } from './pod-start.js';
import { renderCharts, renderMarkdown, renderTable, type BenchReport, type RuntimeReport } from './report.js';

interface Instance {
  socket: string;
  pid: number;
  marker: string;
  stop(): Promise<void>;
}

interface RuntimeUnderTest {
  name: string;
  start(registryHost: string, cniConfDir: string): Promise<Instance>;
}

const runtimes: RuntimeUnderTest[] = [
  {
    name: 'berth',
    start: async (registryHost, cniConfDir) => {
      const berth = await startBerth({ args: ['--insecure-registry', registryHost, '--cni-conf-dir', cniConfDir], logLevel: 'warn' });
      return { socket: berth.socket, pid: berth.pid, marker: berth.workDir, stop: () => berth.stop() };
    },
  },
  {
    name: 'containerd',
    start: async (registryHost, cniConfDir) => {
      const containerd = await startContainerd({ registryHost, cniConfDir });
      return { ...containerd, marker: containerd.socket };
    },
  },
];

function errorText(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
}

async function versionsOf(): Promise<Record<string, string>> {
  const firstLine = async (command: string, args: string[]): Promise<string> =>
    (await execa(command, args, { reject: false })).stdout.split('\n')[0] ?? '';
  return {
    berth: (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version,
    containerd: await firstLine('containerd', ['--version']),
    runc: await firstLine('runc', ['--version']),
    node: process.version,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sequential: { type: 'string', default: '20' },
      concurrent: { type: 'string', default: '50' },
      concurrency: { type: 'string', default: '10' },
      'density-steps': { type: 'string', default: '10,50,100' },
      'latency-pods': { type: 'string', default: '110' },
      calls: { type: 'string', default: '500' },
      'floor-samples': { type: 'string', default: '20' },
      'api-pods': { type: 'string', default: '20' },
      'exec-samples': { type: 'string', default: '30' },
      'exec-streams': { type: 'string', default: '1000' },
      'stats-pods': { type: 'string', default: '50' },
      only: { type: 'string' },
      skip: { type: 'string', default: '' },
    },
  });
  const skip = new Set(values.skip.split(',').filter(Boolean));
  const started = Date.now();
  // Other work on the machine skews every figure: the load before and after is part of the record.
  const loadAtStart = loadavg()[0] ?? 0;
  const cgroupParent = `${ownMemoryCgroup()}/berth-bench`;
  // A writable copy of the seeded registry, so the pull workload can be pushed next to the images.
  const registryStorage = mkdtempSync(join(tmpdir(), 'berth-bench-registry-'));
  cpSync(join(seededRegistryDir(), 'storage'), registryStorage, { recursive: true });
  const registry = await startRegistry({ storageDir: registryStorage, readOnly: false });
  const perRuntime: Record<string, RuntimeReport> = {};
  let floors: Floors | { error: string } = { error: 'not run' };
  let pullFloors: PullFloors | { error: string } = { error: 'not run' };
  let cluster: Cluster | undefined;
  try {
    if (!skip.has('api')) {
      process.stderr.write('bench: starting the cluster fixture (etcd, kube-apiserver, controller-manager, scheduler)…\n');
      cluster = await startCluster();
    }
    let pullRefs: { gzip: string; zstd: string } | undefined;
    if (!skip.has('pull')) {
      process.stderr.write('bench: building/pushing the ~100 MB pull workload…\n');
      pullRefs = await pushBigImage(await ensureBigImage(toolsDir(), seededOciLayout()), registry.host);
      pullFloors = await measurePullFloors(pullRefs.gzip).catch((error: unknown) => ({ error: errorText(error) }));
    }
    let octet = 230;
    const selected = runtimes.filter((r) => !values.only || values.only.split(',').includes(r.name));
    for (const runtime of selected) {
      const report: RuntimeReport = {};
      perRuntime[runtime.name] = report;
      const network = cniTestNetwork(`bench-${runtime.name}`, octet++);
      // Each phase on a fresh instance: a cold store for every pull, no leftovers between phases.
      const phase = async <T>(name: string, work: (client: CriClient, instance: Instance) => Promise<T>): Promise<T | { error: string }> => {
        process.stderr.write(`bench: ${runtime.name}: ${name}…\n`);
        let instance: Instance | undefined;
        let client: CriClient | undefined;
        try {
          instance = await runtime.start(registry.host, network.confDir);
          client = new CriClient({ endpoint: instance.socket });
          return await work(client, instance);
        } catch (error) {
          process.stderr.write(`bench: ${runtime.name}: ${name} failed: ${errorText(error)}\n`);
          return { error: errorText(error) };
        } finally {
          client?.close();
          await instance?.stop();
        }
      };
      const image = `${registry.host}/busybox:latest`;
      try {
        if (pullRefs) {
          const refs = pullRefs;
          report.pullGzip = await phase<PullResult>('cold pull (gzip)', (client) => measurePull(client, refs.gzip));
          report.pullZstd = await phase<PullResult>('cold pull (zstd)', (client) => measurePull(client, refs.zstd));
        }
        if (!skip.has('podstart')) {
          report.podStart = await phase<PodStartResult>('pod start', async (client) => {
            await client.pullImage(image);
            return measurePodStart(client, {
              image,
              cgroupParent,
              sequentialPods: Number(values.sequential),
              concurrentPods: Number(values.concurrent),
              concurrency: Number(values.concurrency),
            });
          });
        }
        if (!skip.has('exec')) {
          report.exec = await phase<ExecLatencyResult>('exec round trip', async (client, instance) => {
            await client.pullImage(image);
            return measureExecLatency(client, instance.socket, instance.pid, {
              image,
              cgroupParent,
              samples: Number(values['exec-samples']),
              streams: Number(values['exec-streams']),
              concurrency: Number(values.concurrency) * 5,
            });
          });
        }
        if (!skip.has('stats')) {
          report.statsPages = await phase<StatsPagesResult>('kubelet stats pages', async (client, instance) => {
            await client.pullImage(image);
            return measureStatsPages(client, instance.socket, { image, cgroupParent, pods: Number(values['stats-pods']), fetches: 20 });
          });
        }
        if (!skip.has('density')) {
          report.density = await phase<DensityResult>('memory and CRI latency', async (client, instance) => {
            await client.pullImage(image);
            return measureDensity(client, { daemonPid: instance.pid, marker: instance.marker }, {
              image,
              cgroupParent,
              steps: values['density-steps'].split(',').map(Number),
              latencyPods: Number(values['latency-pods']),
              calls: Number(values.calls),
              concurrency: Number(values.concurrency),
            });
          });
        }
        if (cluster) {
          const apiCluster = cluster;
          const apiPhase = (kubelet: 'berth' | 'upstream') =>
            phase<ApiPodStartResult>(`API create → Running through the ${kubelet} kubelet`, async (client, instance) => {
              await client.pullImage(image);
              try {
                return await measureApiPodStart({
                  cluster: apiCluster,
                  criEndpoint: instance.socket,
                  image,
                  cgroupParent,
                  pods: Number(values['api-pods']),
                  nodeName: `bench-${kubelet}-on-${runtime.name}-${process.pid}`,
                  kubelet,
                });
              } finally {
                // A stopped kubelet leaves its last sandboxes behind (the upstream one too).
                for (const sandbox of (await client.listPodSandbox().catch(() => ({ items: [] }))).items) {
                  await client.stopPodSandbox(sandbox.id).catch(() => undefined);
                  await client.removePodSandbox(sandbox.id).catch(() => undefined);
                }
              }
            });
          report.apiPodStart = await apiPhase('berth');
          // The reference node: the upstream kubelet on containerd.
          if (runtime.name === 'containerd') report.apiPodStartUpstream = await apiPhase('upstream');
        }
      } finally {
        await network.remove();
      }
    }
    if (!skip.has('floors')) {
      process.stderr.write('bench: floors (runc alone, one CNI ADD)…\n');
      floors = await measureFloors({
        layoutDir: seededOciLayout(),
        cgroupParent,
        samples: Number(values['floor-samples']),
        cniBinDir: '/usr/lib/cni',
      }).catch((error: unknown) => ({ error: errorText(error) }));
    }
  } finally {
    await cluster?.stop();
    await registry.stop();
    rmSync(registryStorage, { recursive: true, force: true });
    removeCgroupPath(cgroupParent, started);
  }

  const report: BenchReport = {
    date: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      memoryBytes: totalmem(),
      kernel: release(),
      loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
    },
    versions: await versionsOf(),
    options: values,
    runtimes: perRuntime,
    floors,
    pullFloors,
  };
  // Checked in: BENCHMARKS.md at the top, the JSON and charts it cites in bench/results/.
  const outDir = join(packageRoot(), 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  const charts = renderCharts(report);
  for (const [name, svg] of Object.entries(charts)) writeFileSync(join(outDir, name), svg);
  writeFileSync(join(packageRoot(), 'BENCHMARKS.md'), renderMarkdown(report, Object.keys(charts)));
  process.stdout.write(renderTable(report));
  process.stdout.write(`results: ${join(outDir, 'latest.json')} (charts beside it, BENCHMARKS.md at the top)\n`);
}

await main();
