// Issue 24's goals, judged from one report: each ratio or figure against its bound, "met",
// "not met" or "not measured" (a phase skipped or failed). The closing table of BENCHMARKS.md.
import type { DensityResult } from './density.js';
import type { Floors } from './floors.js';
import type { PullResult } from './image-pull.js';
import type { PodStartResult } from './pod-start.js';
import { PRIMARY_PEER, type BenchReport, type Failed } from './report.js';

export interface GoalResult {
  goal: string;
  /** The measured ratio or figure, formatted; undefined when not measured. */
  measured: string | undefined;
  met: boolean | undefined;
}

function ok<T extends object>(value: T | Failed | undefined): T | undefined {
  return value !== undefined && !('error' in value) ? value : undefined;
}

const MiB = 1024 * 1024;

function ratioGoal(goal: string, berth: number | undefined, other: number | undefined, bound: number): GoalResult {
  if (berth === undefined || other === undefined || !(other > 0)) return { goal, measured: undefined, met: undefined };
  const r = berth / other;
  return { goal, measured: `${r.toFixed(2)}×`, met: r <= bound };
}

function figureGoal(goal: string, value: number | undefined, bound: number, format: (v: number) => string): GoalResult {
  if (value === undefined || !Number.isFinite(value)) return { goal, measured: undefined, met: undefined };
  return { goal, measured: format(value), met: value <= bound };
}

export function judgeGoals(report: BenchReport): GoalResult[] {
  const berth = report.runtimes['berth'] ?? {};
  const peer = report.runtimes[PRIMARY_PEER] ?? {};
  const pod = (r: typeof berth): PodStartResult | undefined => ok(r.podStart);
  const density = (r: typeof berth): DensityResult | undefined => ok(r.density);
  const floors = ok<Floors>(report.floors);
  const mib = (v: number): string => `${(v / MiB).toFixed(1)} MiB`;
  const goals: GoalResult[] = [
    ratioGoal('pod start p50 (sequential) ≤ 0.7× containerd 2.x', pod(berth)?.sequential.total.p50, pod(peer)?.sequential.total.p50, 0.7),
    ratioGoal('pod start p50 (sequential) ≤ 1.5× the floor', pod(berth)?.sequential.total.p50, floors ? floors.runcCreateStart.p50 + floors.cniAdd.p50 : undefined, 1.5),
    ratioGoal('concurrent pods wall time ≤ 0.7× containerd 2.x', pod(berth)?.concurrent.wallMs, pod(peer)?.concurrent.wallMs, 0.7),
    ratioGoal('cold pull ~100 MB gzip ≤ 0.8× containerd 2.x', ok<PullResult>(berth.pullGzip)?.seconds, ok<PullResult>(peer.pullGzip)?.seconds, 0.8),
    figureGoal('idle daemon RSS ≤ 70 MiB', density(berth)?.memory.find((m) => m.pods === 0)?.daemon.rssBytes, 70 * MiB, mib),
    figureGoal('memory per extra pod ≤ 1 MiB', density(berth)?.pssPerPodBytes, 1 * MiB, mib),
  ];
  for (const call of ['ListPodSandbox', 'ListContainers', 'ContainerStatus']) {
    const summary = (r: typeof berth): { p50: number; p99: number } | undefined => {
      const s = density(r)?.latency[call];
      return s && !('error' in s) ? s : undefined;
    };
    goals.push(ratioGoal(`${call} p50 @110 pods ≤ 1.0× containerd 2.x`, summary(berth)?.p50, summary(peer)?.p50, 1.0));
    goals.push(ratioGoal(`${call} p99 @110 pods ≤ 2× containerd 2.x`, summary(berth)?.p99, summary(peer)?.p99, 2));
  }
  return goals;
}

export function renderGoals(report: BenchReport): string {
  const rows = judgeGoals(report).map((g) => `| ${g.goal} | ${g.measured ?? '–'} | ${g.met === undefined ? 'not measured in this run' : g.met ? 'met' : 'not met'} |`);
  return `| goal (issue 24) | this run | |\n|---|---:|---|\n${rows.join('\n')}`;
}
