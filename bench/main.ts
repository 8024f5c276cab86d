// `npm run bench`: the same CRI workloads against berth, containerd 2.x (the pinned Go module, the
// runtime clusters run today: the primary peer) and Debian's containerd 1.6 on this machine, in one run, through the same CRI client, with the same registry, CNI plugins and runc:
// pod start and teardown, exec round trips, the kubelet's stats pages, memory against pods, CRI latency on a full node, cold image pulls, API
// create → Running through berth's kubelet on the real cluster fixture, and the floors (runc
// alone, one CNI ADD). Writes bench/results/latest.json, BENCHMARKS.md and the
// charts, and prints the table with ratios.
//
// A phase that fails is recorded with its reason (and, when the peer died, how and its log) and
// the next phase runs; every phase tears down what it made, and the report is written whatever
// happened.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { CriClient } from '../cri/client/cri-client.js';
import { packageRoot } from '../common/package-root.js';
import { startBerth } from '../test/harness/berth.js';
import { startCluster, type Cluster } from '../test/harness/cluster.js';
import { cniTestNetwork } from '../test/harness/cni-network.js';
import { containerd2Binaries, startContainerd } from '../test/harness/containerd.js';
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
import { PRIMARY_PEER, renderCharts, renderMarkdown, renderTable, type BenchReport, type Failed, type RuntimeReport } from './report.js';

interface Instance {
  socket: string;
  pid: number;
  marker: string;
  /** Set when the daemon exited on its own during the phase. */
  diedBecause?: () => string | undefined;
  logPath?: string;
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
    name: PRIMARY_PEER,
    start: async (registryHost, cniConfDir) => {
      const containerd = await startContainerd({ registryHost, cniConfDir, release: '2' });
      return { ...containerd, marker: containerd.socket };
    },
  },
  {
    name: 'containerd-1.6',
    start: async (registryHost, cniConfDir) => {
      const containerd = await startContainerd({ registryHost, cniConfDir, release: '1.6' });
      return { ...containerd, marker: containerd.socket };
    },
  },
];

// This engineer's CNI octets (10.244.<octet>.0/24), one per runtime; floors.ts has its own.
const firstOctet = 115;

function errorText(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
}

async function versionsOf(): Promise<Record<string, string>> {
  const firstLine = async (command: string, args: string[]): Promise<string> => (await execa(command, args, { reject: false })).stdout.split('\n')[0] ?? '';
  return {
    berth: (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version,
    [PRIMARY_PEER]: await firstLine(containerd2Binaries().containerd, ['--version']).catch(errorText),
    'containerd-1.6': await firstLine('containerd', ['--version']),
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
      // Renders BENCHMARKS.md and the charts again from the last run's latest.json (after a change
      // to the report's layout): no runtime is started, no figure changes.
      'render-only': { type: 'boolean', default: false },
    },
  });
  if (values['render-only']) {
    writeOutputs(JSON.parse(readFileSync(join(packageRoot(), 'bench', 'results', 'latest.json'), 'utf8')) as BenchReport);
    return;
  }
  const skip = new Set(values.skip.split(',').filter(Boolean));
  const started = Date.now();
  // Other work on the machine skews every figure: the load before and after is part of the record.
  const loadAtStart = loadavg()[0] ?? 0;
  const cgroupParent = `${ownMemoryCgroup()}/berth-bench`;
  const outDir = join(packageRoot(), 'bench', 'results');
  const logsDir = join(outDir, 'logs');
  rmSync(logsDir, { recursive: true, force: true });
  const perRuntime: Record<string, RuntimeReport> = {};
  const cleanupFailures: string[] = [];
  // Teardown never ends the run: what it could not undo is reported beside the figures.
  const cleanup = async (what: string, step: () => Promise<unknown> | unknown): Promise<void> => {
    try {
      await step();
    } catch (error) {
      process.stderr.write(`bench: cleanup of ${what} failed: ${errorText(error)}\n`);
      cleanupFailures.push(`${what}: ${errorText(error)}`);
    }
  };
  let floors: Floors | Failed = { error: 'not run' };
  let pullFloors: PullFloors | Failed = { error: 'not run' };
  let cluster: Cluster | undefined;
  let clusterError: string | undefined;
  // A writable copy of the seeded registry, so the pull workload can be pushed next to the images.
  const registryStorage = mkdtempSync(join(tmpdir(), 'berth-bench-registry-'));
  cpSync(join(seededRegistryDir(), 'storage'), registryStorage, { recursive: true });
  const registry = await startRegistry({ storageDir: registryStorage, readOnly: false });
  try {
    if (!skip.has('api')) {
      process.stderr.write('bench: starting the cluster fixture (etcd, kube-apiserver, controller-manager, scheduler)…\n');
      cluster = await startCluster().catch((error: unknown) => {
        clusterError = `cluster fixture: ${errorText(error)}`;
        return undefined;
      });
    }
    let pullRefs: { gzip: string; zstd: string } | undefined;
    let pullError: string | undefined;
    if (!skip.has('pull')) {
      process.stderr.write('bench: building/pushing the ~100 MB pull workload…\n');
      try {
        pullRefs = await pushBigImage(await ensureBigImage(toolsDir(), seededOciLayout()), registry.host);
        pullFloors = await measurePullFloors(pullRefs.gzip).catch((error: unknown) => ({ error: errorText(error) }));
      } catch (error) {
        pullError = `pull workload: ${errorText(error)}`;
        pullFloors = { error: pullError };
      }
    }
    let octet = firstOctet;
    const selected = runtimes.filter((r) => !values.only || values.only.split(',').includes(r.name));
    for (const runtime of selected) {
      const report: RuntimeReport = {};
      perRuntime[runtime.name] = report;
      const network = cniTestNetwork(`bench-${runtime.name}`, octet++);
      // Each phase on a fresh instance: a cold store for every pull, no leftovers between phases.
      const phase = async <T>(name: string, work: (client: CriClient, instance: Instance) => Promise<T>): Promise<T | Failed> => {
        process.stderr.write(`bench: ${runtime.name}: ${name}…\n`);
        let instance: Instance | undefined;
        let client: CriClient | undefined;
        let result: T | Failed;
        try {
          instance = await runtime.start(registry.host, network.confDir);
          client = new CriClient({ endpoint: instance.socket });
          result = await work(client, instance);
        } catch (error) {
          result = { error: errorText(error) };
          const died = instance?.diedBecause?.();
          if (died !== undefined) result.peerDied = died;
          if (died !== undefined && instance?.logPath) {
            // The peer's own account of why it died outlives its instance directory.
            mkdirSync(logsDir, { recursive: true });
            const kept = join(logsDir, `${runtime.name}-${name.replace(/[^a-z0-9]+/gi, '-')}.log`);
            await cleanup(`keeping ${runtime.name}'s log`, () => cpSync(instance?.logPath ?? '', kept));
            result.log = kept.slice(packageRoot().length + 1);
          }
          process.stderr.write(`bench: ${runtime.name}: ${name} failed: ${result.error}${died ? ` (the daemon ${died})` : ''}\n`);
        }
        client?.close();
        const stopping = instance;
        if (stopping) await cleanup(`${runtime.name} after ${name}`, () => stopping.stop());
        return result;
      };
      const image = `${registry.host}/busybox:latest`;
      try {
        if (pullRefs) {
          const refs = pullRefs;
          report.pullGzip = await phase<PullResult>('cold pull (gzip)', (client) => measurePull(client, refs.gzip));
          report.pullZstd = await phase<PullResult>('cold pull (zstd)', (client) => measurePull(client, refs.zstd));
        } else if (pullError) {
          report.pullGzip = { error: pullError };
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
            return measureDensity(
              client,
              { daemonPid: instance.pid, marker: instance.marker },
              {
                image,
                cgroupParent,
                steps: values['density-steps'].split(',').map(Number),
                latencyPods: Number(values['latency-pods']),
                calls: Number(values.calls),
                concurrency: Number(values.concurrency),
              },
            );
          });
        }
        if (clusterError) report.apiPodStart = { error: clusterError };
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
          // The reference node: the upstream kubelet on containerd 2.x.
          if (runtime.name === PRIMARY_PEER) report.apiPodStartUpstream = await apiPhase('upstream');
        }
      } finally {
        await cleanup(`CNI network of ${runtime.name}`, () => network.remove());
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
    const stoppingCluster = cluster;
    if (stoppingCluster) await cleanup('cluster fixture', () => stoppingCluster.stop());
    await cleanup('registry', () => registry.stop());
    await cleanup('registry storage', () => rmSync(registryStorage, { recursive: true, force: true }));
    await cleanup('bench cgroups', () => removeCgroupPath(cgroupParent, started));
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
    cleanupFailures,
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeOutputs(report);
}

/** Checked in: BENCHMARKS.md at the top, the charts it cites beside latest.json in bench/results/. */
function writeOutputs(report: BenchReport): void {
  const outDir = join(packageRoot(), 'bench', 'results');
  const charts = renderCharts(report);
  for (const [name, svg] of Object.entries(charts)) writeFileSync(join(outDir, name), svg);
  const analysisPath = join(packageRoot(), 'bench', 'analysis.md');
  const analysis = existsSync(analysisPath) ? readFileSync(analysisPath, 'utf8') : '';
  writeFileSync(join(packageRoot(), 'BENCHMARKS.md'), renderMarkdown(report, Object.keys(charts), analysis));
  process.stdout.write(renderTable(report));
  process.stdout.write(`results: ${join(outDir, 'latest.json')} (charts beside it, BENCHMARKS.md at the top)\n`);
}

await main();
