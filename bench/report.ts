// The benchmark's outputs from one report object: the stdout table with ratios, BENCHMARKS.md and
// the charts. Every figure printed comes from the JSON written beside them.
import type { ApiPodStartResult } from './api-pod-start.js';
import type { DensityResult } from './density.js';
import type { ExecLatencyResult } from './exec-latency.js';
import type { StatsPagesResult } from './stats-pages.js';
import type { Floors } from './floors.js';
import type { PullFloors, PullResult } from './image-pull.js';
import type { PodStartResult } from './pod-start.js';
import type { Summary } from './stats.js';
import { renderGoals } from './goals.js';
import { cdfPoints, lineChart } from './svg-chart.js';

/** A phase that failed: why, and when the peer daemon died during it, how and where its log was kept. */
export interface Failed {
  error: string;
  peerDied?: string;
  log?: string;
}

/** The runtime every berth figure is divided by: containerd 2.x, what clusters run today. */
export const PRIMARY_PEER = 'containerd-2';
type Maybe<T> = T | Failed | undefined;

export interface RuntimeReport {
  pullGzip?: PullResult | Failed;
  pullZstd?: PullResult | Failed;
  podStart?: PodStartResult | Failed;
  density?: DensityResult | Failed;
  exec?: ExecLatencyResult | Failed;
  /** berth's kubelet's /metrics/cadvisor and /stats/summary on this runtime. */
  statsPages?: StatsPagesResult | Failed;
  /** berth's kubelet on this runtime. */
  apiPodStart?: ApiPodStartResult | Failed;
  /** The upstream kubelet on this runtime (the primary peer only). */
  apiPodStartUpstream?: ApiPodStartResult | Failed;
}

export interface BenchReport {
  date: string;
  durationSeconds: number;
  machine: { cpus: number; cpuModel: string; memoryBytes: number; kernel: string; loadAverage?: { start: number; end: number } };
  versions: Record<string, string>;
  options: Record<string, unknown>;
  runtimes: Record<string, RuntimeReport>;
  floors: Floors | Failed;
  pullFloors: PullFloors | Failed;
  /** Teardown steps that failed (what may have been left on the machine). */
  cleanupFailures?: string[];
}

function ok<T extends object>(value: Maybe<T>): value is T {
  return value !== undefined && !('error' in value);
}

const ms = (v: number): string => `${v.toFixed(v < 10 ? 1 : 0)} ms`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const ratio = (a: number | undefined, b: number | undefined): string => (a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}×` : '–');

interface Row {
  label: string;
  values: Record<string, number | undefined>;
  format: (v: number) => string;
  /** A floor for the same figure, for the berth/floor ratio. */
  floor?: number | undefined;
}

function rows(report: BenchReport): Row[] {
  const names = Object.keys(report.runtimes);
  const pick = (f: (r: RuntimeReport) => number | undefined): Record<string, number | undefined> => Object.fromEntries(names.map((n) => [n, f(report.runtimes[n] ?? {})]));
  const pod = (r: RuntimeReport): PodStartResult | undefined => (ok(r.podStart) ? r.podStart : undefined);
  const density = (r: RuntimeReport): DensityResult | undefined => (ok(r.density) ? r.density : undefined);
  const floors = ok<Floors>(report.floors) ? report.floors : undefined;
  const out: Row[] = [
    { label: 'pod start p50 (sequential)', values: pick((r) => pod(r)?.sequential.total.p50), format: ms, floor: floors ? floors.runcCreateStart.p50 + floors.cniAdd.p50 : undefined },
    { label: 'pod start p90 (sequential)', values: pick((r) => pod(r)?.sequential.total.p90), format: ms },
    { label: 'pod start max (sequential)', values: pick((r) => pod(r)?.sequential.total.max), format: ms },
    { label: '  RunPodSandbox p50', values: pick((r) => pod(r)?.sequential.sandbox.p50), format: ms, floor: floors?.cniAdd.p50 },
    { label: '  CreateContainer p50', values: pick((r) => pod(r)?.sequential.create.p50), format: ms },
    { label: '  StartContainer p50', values: pick((r) => pod(r)?.sequential.start.p50), format: ms },
    { label: 'teardown p50 (Stop+RemovePodSandbox)', values: pick((r) => pod(r)?.sequential.teardown.p50), format: ms },
    { label: 'concurrent pods: wall time', values: pick((r) => pod(r)?.concurrent.wallMs), format: (v) => `${(v / 1000).toFixed(2)} s` },
    { label: 'concurrent pods: per-pod p50', values: pick((r) => pod(r)?.concurrent.perPod.p50), format: ms },
    { label: 'concurrent pods: per-pod p99', values: pick((r) => pod(r)?.concurrent.perPod.p99), format: ms },
  ];
  const exec = (r: RuntimeReport): ExecLatencyResult | undefined => (ok(r.exec) ? r.exec : undefined);
  out.push(
    { label: 'exec of `true`: crictl exec p50', values: pick((r) => exec(r)?.crictlExec.p50), format: ms },
    { label: 'exec of `true`: crictl exec p90', values: pick((r) => exec(r)?.crictlExec.p90), format: ms },
    { label: 'exec of `true`: CRI ExecSync p50', values: pick((r) => exec(r)?.execSync.p50), format: ms },
    { label: 'exec streams (1 in 10 a resized tty): wall', values: pick((r) => exec(r)?.hygiene.wallMs), format: (v) => `${(v / 1000).toFixed(1)} s` },
    { label: '  streams that failed', values: pick((r) => exec(r)?.hygiene.failures), format: String },
    { label: '  daemon descriptors added after', values: pick((r) => exec(r)?.hygiene.daemonFdsAdded), format: String },
    { label: '  exec processes left after', values: pick((r) => exec(r)?.hygiene.execProcessesLeft), format: String },
  );
  const statsPages = (r: RuntimeReport): StatsPagesResult | undefined => (ok(r.statsPages) ? r.statsPages : undefined);
  const statsPods = names.map((n) => statsPages(report.runtimes[n] ?? {})?.pods).find((p) => p !== undefined) ?? 50;
  out.push(
    { label: `/metrics/cadvisor p50 @${statsPods} pods (berth kubelet)`, values: pick((r) => statsPages(r)?.cadvisor.p50), format: ms },
    { label: `/metrics/cadvisor p90 @${statsPods} pods`, values: pick((r) => statsPages(r)?.cadvisor.p90), format: ms },
    { label: `/stats/summary p50 @${statsPods} pods (berth kubelet)`, values: pick((r) => statsPages(r)?.summary.p50), format: ms },
    { label: `/stats/summary p90 @${statsPods} pods`, values: pick((r) => statsPages(r)?.summary.p90), format: ms },
  );
  const api = (r: RuntimeReport): ApiPodStartResult | undefined => (ok(r.apiPodStart) ? r.apiPodStart : undefined);
  // berth's node (its kubelet on its runtime) against the usual one (upstream kubelet on containerd 2.x).
  const node = (r: RuntimeReport, name: string): ApiPodStartResult | undefined => {
    const result = name === 'berth' ? r.apiPodStart : r.apiPodStartUpstream;
    return ok(result) ? result : undefined;
  };
  const pickNode = (f: (s: ApiPodStartResult) => number): Record<string, number | undefined> =>
    Object.fromEntries(names.map((n) => [n, ((s) => (s ? f(s) : undefined))(node(report.runtimes[n] ?? {}, n))]));
  out.push(
    { label: 'API create → Running p50 (node: kubelet+runtime)', values: pickNode((s) => s.createToRunning.p50), format: ms },
    { label: 'API create → Running p90 (node: kubelet+runtime)', values: pickNode((s) => s.createToRunning.p90), format: ms },
    { label: '  same, berth kubelet on each runtime, p50', values: pick((r) => api(r)?.createToRunning.p50), format: ms },
  );
  const steps = [...new Set(names.flatMap((n) => density(report.runtimes[n] ?? {})?.memory.map((m) => m.pods) ?? []))];
  for (const pods of steps) {
    out.push({
      label: `memory PSS, daemon + helpers, ${pods} pods`,
      values: pick((r) => density(r)?.memory.find((m) => m.pods === pods)?.total.pssBytes),
      format: mib,
    });
  }
  for (const pods of steps) {
    out.push({
      label: `memory RSS, daemon alone, ${pods} pods`,
      values: pick((r) => density(r)?.memory.find((m) => m.pods === pods)?.daemon.rssBytes),
      format: mib,
    });
  }
  out.push({ label: 'memory PSS per extra pod (slope)', values: pick((r) => density(r)?.pssPerPodBytes), format: mib });
  const calls = [...new Set(names.flatMap((n) => Object.keys(density(report.runtimes[n] ?? {})?.latency ?? {})))];
  for (const call of calls) {
    const summary = (r: RuntimeReport): Summary | undefined => {
      const s = density(r)?.latency[call];
      return s && !('error' in s) ? s : undefined;
    };
    out.push({ label: `${call} p50 @110 pods`, values: pick((r) => summary(r)?.p50), format: ms });
    out.push({ label: `${call} p99 @110 pods`, values: pick((r) => summary(r)?.p99), format: ms });
  }
  const pullFloor = ok<PullFloors>(report.pullFloors) ? report.pullFloors : undefined;
  out.push(
    {
      label: 'cold pull ~100 MB gzip (3 layers + base)',
      values: pick((r) => (ok(r.pullGzip) ? r.pullGzip.seconds * 1000 : undefined)),
      format: (v) => `${(v / 1000).toFixed(2)} s`,
      floor: pullFloor ? (pullFloor.fetchSeconds + pullFloor.hashSeconds + pullFloor.decompressSeconds + pullFloor.writeSeconds) * 1000 : undefined,
    },
    { label: 'cold pull ~100 MB zstd', values: pick((r) => (ok(r.pullZstd) ? r.pullZstd.seconds * 1000 : undefined)), format: (v) => `${(v / 1000).toFixed(2)} s` },
  );
  return out;
}

function failures(report: BenchReport): string[] {
  const out: string[] = [];
  for (const [name, r] of Object.entries(report.runtimes)) {
    for (const [phase, value] of Object.entries(r)) {
      if (value && typeof value === 'object' && 'error' in value) {
        const failed = value as Failed;
        out.push(`${name} ${phase}: ${failed.error}${failed.peerDied ? ` (the daemon ${failed.peerDied}; its log: ${failed.log ?? 'not kept'})` : ''}`);
      }
    }
    const latency = ok<DensityResult>(r.density) ? r.density.latency : {};
    for (const [call, s] of Object.entries(latency)) if ('error' in s) out.push(`${name} ${call}: ${s.error}`);
  }
  if ('error' in report.floors) out.push(`floors: ${report.floors.error}`);
  if ('error' in report.pullFloors) out.push(`pull floors: ${report.pullFloors.error}`);
  for (const c of report.cleanupFailures ?? []) out.push(`cleanup failed: ${c}`);
  return out;
}

export function renderTable(report: BenchReport): string {
  const names = Object.keys(report.runtimes);
  const lines = [`${'figure'.padEnd(44)}${names.map((n) => n.padStart(14)).join('')}${'berth/ctrd2'.padStart(12)}${'berth/floor'.padStart(13)}`];
  for (const row of rows(report)) {
    const cells = names.map((n) => {
      const v = row.values[n];
      return (v === undefined || !Number.isFinite(v) ? '–' : row.format(v)).padStart(14);
    });
    lines.push(`${row.label.padEnd(44)}${cells.join('')}${ratio(row.values['berth'], row.values[PRIMARY_PEER]).padStart(12)}${ratio(row.values['berth'], row.floor).padStart(13)}`);
  }
  for (const f of failures(report)) lines.push(`not measured: ${f}`);
  return `${lines.join('\n')}\n`;
}

export function renderCharts(report: BenchReport): Record<string, string> {
  const charts: Record<string, string> = {};
  const entries = Object.entries(report.runtimes);
  const podSeries = entries.flatMap(([name, r]) => (ok(r.podStart) ? [{ name, points: cdfPoints(r.podStart.sequential.totalSamples) }] : []));
  if (podSeries.length > 0) {
    charts['pod-start-cdf.svg'] = lineChart({
      title: 'Pod start, sequential (RunPodSandbox + Create + Start): CDF',
      xLabel: 'milliseconds',
      yLabel: 'fraction of pods',
      series: podSeries,
      yMax: 1,
    });
  }
  const memorySeries = entries.flatMap(([name, r]) =>
    ok(r.density) ? [{ name: `${name} (daemon + helpers, PSS)`, points: r.density.memory.map((m) => [m.pods, m.total.pssBytes / 1024 / 1024] as [number, number]) }] : [],
  );
  if (memorySeries.length > 0) {
    charts['memory-vs-pods.svg'] = lineChart({ title: 'Runtime memory against running pods', xLabel: 'pods', yLabel: 'MiB (PSS)', series: memorySeries });
  }
  return charts;
}

/** A run taken while other work held the cores says so where the figures are read. */
function busyNote(report: BenchReport): string {
  const load = report.machine.loadAverage;
  if (!load || Math.max(load.start, load.end) < report.machine.cpus) return '';
  return `\n\n**Taken on a busy machine**: the 1-minute load average (${load.start.toFixed(2)} at the start, ${load.end.toFixed(2)} at the end) reached the machine's ${report.machine.cpus} cores, so other work competed with every runtime: absolute times are inflated and ratios noisier than on an idle machine.\n`;
}

/**
 * `analysis`: the hand-written reading of the figures (bench/analysis.md: where the time and memory
 * go, what would move them), kept apart so a new run never loses it; empty leaves the section out.
 */
export function renderMarkdown(report: BenchReport, chartFiles: string[], analysis = ''): string {
  const names = Object.keys(report.runtimes);
  const head = `| figure | ${names.join(' | ')} | berth/containerd 2.x | berth/floor |\n|---|${names.map(() => '---:').join('|')}|---:|---:|`;
  const body = rows(report)
    .map((row) => {
      const cells = names.map((n) => {
        const v = row.values[n];
        return v === undefined || !Number.isFinite(v) ? '–' : row.format(v);
      });
      return `| ${row.label.trim()} | ${cells.join(' | ')} | ${ratio(row.values['berth'], row.values[PRIMARY_PEER])} | ${ratio(row.values['berth'], row.floor)} |`;
    })
    .join('\n');
  const floors = ok<Floors>(report.floors) ? report.floors : undefined;
  const pullFloors = ok<PullFloors>(report.pullFloors) ? report.pullFloors : undefined;
  const missing = failures(report);
  return `# Benchmarks

Generated by \`npm run bench\` (bench/main.ts) on ${report.date} in ${report.durationSeconds} s. Do not
edit by hand: run the benchmark and commit what it writes. Every figure is in
\`bench/results/latest.json\`.

Machine: ${report.machine.cpus} × ${report.machine.cpuModel}, ${mib(report.machine.memoryBytes)} memory, kernel ${report.machine.kernel}${
    report.machine.loadAverage
      ? `; 1-minute load average ${report.machine.loadAverage.start.toFixed(2)} at the start, ${report.machine.loadAverage.end.toFixed(2)} at the end (other work on the machine skews the figures)`
      : ''
  }.${busyNote(report)}
Versions: ${Object.entries(report.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join('; ')}.

Peers: containerd 2.x (\`${PRIMARY_PEER}\`, the pinned Go module with its CRI plugin and the transfer
service pulling, config version 3: what clusters run today, and the column every ratio divides
by) and Debian's containerd 1.6 (\`containerd-1.6\`, kept for comparison). All runtimes are driven by the same CRI client with the same pods (busybox \`sleep 3600\`, a pid
namespace per container as the kubelet asks by default), the same local registry, CNI plugins
(bridge + host-local + portmap) and runc. Each phase runs on a fresh instance. Memory counts the
daemon and every per-pod helper process it keeps (containerd: shims and pause containers; berth:
conmon monitors), never the workload. Floors: \`runc create\` + \`runc start\` of the same busybox
bundle with nothing else${floors ? ` (p50 ${ms(floors.runcCreateStart.p50)})` : ''}, one CNI ADD of bridge + host-local into a fresh
netns${floors ? ` (p50 ${ms(floors.cniAdd.p50)})` : ''}; the pull floor is this process fetching, hashing, gunzipping and writing the same blobs${
    pullFloors
      ? ` (${(pullFloors.compressedBytes / 1e6).toFixed(0)} MB compressed, ${(pullFloors.uncompressedBytes / 1e6).toFixed(0)} MB unpacked: fetch ${pullFloors.fetchSeconds.toFixed(2)} s, sha256 ${pullFloors.hashSeconds.toFixed(2)} s, gunzip ${pullFloors.decompressSeconds.toFixed(2)} s, write+fsync ${pullFloors.writeSeconds.toFixed(2)} s)`
      : ''
  }. API create → Running: pods created through the real API server (etcd, kube-apiserver,
controller-manager, scheduler) one at a time and timed until the API reports them Running; the
"node" rows compare berth's kubelet on berth with the upstream kubelet (the pinned Go module) on
containerd 2.x, the row below them berth's kubelet on each runtime.

${head}
${body}

${chartFiles.map((f) => `![${f}](bench/results/${f})`).join('\n\n')}

## Goals

${renderGoals(report)}
${missing.length > 0 ? `\nNot measured in this run (a failed phase, with its reason), or not cleaned up:\n\n${missing.map((m) => `- ${m}`).join('\n')}\n` : ''}${analysis.trim() === '' ? '' : `\n## Where the time and memory go\n\n${analysis.trim()}\n`}`;
}
