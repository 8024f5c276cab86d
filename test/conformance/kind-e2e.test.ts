// `npm run conformance`: the real upstream e2e suite (e2e.test of the pinned Kubernetes) on the
// kind world, one run per invocation: BERTH_CONFORMANCE_NODES names its kind of worker
// (upstream-e2e/kind-workers.ts: containerd = run A, berth = run B, upstream-berth = run C), on a
// kind cluster of its own with two such workers. scripts/conformance.sh runs A first, then B and C,
// each under the machine lock on its own, so the lock is free between runs. Each run leaves its
// reports under BERTH_CONFORMANCE_REPORT_DIR/<kind>/ (e2e.json, junit.xml, e2e.log, run.json);
// a berth run's failure is judged against run A's report there (a failure A shares is a skip
// with its reason), and CONFORMANCE.md is rendered again from every run's reports found there.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot } from '../harness/root.js';
import { countTotals, judged, runTotals, runVersions, writeConformanceMarkdown } from './upstream-e2e/conformance-report.js';
import { listSpecs, readSuiteRun, runSuite, type SuiteRun } from './upstream-e2e/e2e-suite.js';
import { nodeKinds, type NodeKind } from './upstream-e2e/fixture-nodes.js';
import { startKindWorkers, type KindWorkers } from './upstream-e2e/kind-workers.js';
import { subsetFocus } from './upstream-e2e/subset.js';

requireRoot('conformance');
const env = process.env;
const kind = (env['BERTH_CONFORMANCE_NODES'] ?? '').trim() as NodeKind;
if (!nodeKinds.includes(kind)) throw new Error(`BERTH_CONFORMANCE_NODES: one kind of worker per run (known: ${nodeKinds.join(', ')}), not "${kind}"`);
const reportRoot = env['BERTH_CONFORMANCE_REPORT_DIR'];
if (!reportRoot) throw new Error('BERTH_CONFORMANCE_REPORT_DIR: where the runs keep their reports (scripts/conformance.sh sets it)');
const focus = env['BERTH_CONFORMANCE_FOCUS'] || subsetFocus();
const skip = env['BERTH_CONFORMANCE_SKIP'] ?? '';
const timeoutMs = Number(env['BERTH_CONFORMANCE_TIMEOUT_S'] ?? 3_600) * 1000;
const procs = Number(env['BERTH_CONFORMANCE_PROCS'] || 1);
if (!Number.isInteger(procs) || procs < 1) throw new Error(`BERTH_CONFORMANCE_PROCS: a whole number of Ginkgo processes, at least 1, not "${env['BERTH_CONFORMANCE_PROCS']}"`);
const labels: Record<NodeKind, string> = { containerd: 'A', berth: 'B', 'upstream-berth': 'C' };
const clusterNames: Record<NodeKind, string> = { containerd: 'conf-a', berth: 'conf-b', 'upstream-berth': 'conf-c' };
const command = env['BERTH_CONFORMANCE_COMMAND'] ?? 'npm run conformance';

interface RunRecord {
  seconds: number;
  setupSeconds: number;
  interruptions: string[];
  focus: string;
  skip: string;
  date: string;
  /** The command that made this run (runs of one report may come from several invocations). */
  command?: string;
}

/**
 * A finished run, read back from its directory; undefined if none is there. Its selection may be
 * another (a wider reference run, say): results go by spec name, and a spec it did not select or
 * did not get to reads as skipped there, so it never excuses a failure.
 */
function readRun(which: NodeKind): SuiteRun | undefined {
  const dir = join(reportRoot!, which);
  if (!existsSync(join(dir, 'run.json'))) return undefined;
  const record = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord;
  const run = readSuiteRun(dir, record.seconds);
  return { ...run, interruptions: [...new Set([...record.interruptions, ...run.interruptions])] };
}

const specs = await listSpecs(focus, skip);
let run: SuiteRun = { results: new Map(), interruptions: [], seconds: 0 };
const started = Date.now();

describe(`upstream e2e specs on two ${kind} workers of a kind cluster (run ${labels[kind]})`, () => {
  let workers: KindWorkers | undefined;
  let setupSeconds = 0;

  beforeAll(async () => {
    const dir = join(reportRoot, kind);
    mkdirSync(dir, { recursive: true });
    try {
      workers = await startKindWorkers(kind, { clusterName: clusterNames[kind], logDir: join(dir, 'logs') });
      setupSeconds = workers.setupSeconds;
      console.info(`conformance run ${labels[kind]}: kind cluster and ${workers.workers.join(', ')} Ready in ${Math.round(setupSeconds)} s`);
      run = await runSuite({ kubeconfig: workers.kubeconfig, focus, skip, registryHost: workers.registryHost, reportDir: dir, timeoutMs, procs });
    } catch (error) {
      run.interruptions.push(`the ${kind} workers or their cluster did not start: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await workers?.stop().catch((error: unknown) => run.interruptions.push(`tearing the kind world down failed: ${String(error)}`));
      const record: RunRecord = { seconds: (Date.now() - started) / 1000, setupSeconds, interruptions: run.interruptions, focus, skip, date: new Date(started).toISOString(), command };
      writeFileSync(join(dir, 'run.json'), JSON.stringify(record, null, 2));
      run = { ...run, seconds: record.seconds };
      console.info(`conformance run ${labels[kind]}: e2e.test and teardown done, ${Math.round(record.seconds)} s in all`);
    }
  }, timeoutMs + 900_000);

  afterAll(() => {
    // Every run of this selection found under the report root, in the order A, B, C.
    const runs = new Map<NodeKind, SuiteRun>();
    for (const each of ['containerd', 'berth', 'upstream-berth'] as const) {
      const found = each === kind ? run : readRun(each);
      if (found) runs.set(each, found);
    }
    const seconds = [...runs.values()].reduce((sum, each) => sum + each.seconds, 0);
    const perRun = Object.fromEntries([...runs.keys()].map((each) => [each, runTotals(each, specs, runs)]));
    writeFileSync(join(reportRoot, 'summary.json'), JSON.stringify({ totals: countTotals(specs, runs), perRun, seconds }, null, 2));
    const markdown = env['BERTH_CONFORMANCE_MARKDOWN'];
    if (!markdown) return;
    const records = [...runs.keys()].map((each) =>
      each === kind ? { date: new Date(started).toISOString(), command } : (JSON.parse(readFileSync(join(reportRoot, each, 'run.json'), 'utf8')) as RunRecord),
    );
    const dates = records.map((record) => record.date);
    writeConformanceMarkdown(
      markdown,
      {
        date: dates.sort()[0] ?? new Date(started).toISOString(),
        command: [...new Set(records.map((record) => record.command ?? command))].join('`, then `'),
        seconds,
        focus,
        skip,
        versions: runVersions(),
        labels,
        world: [
          'Each run has a kind cluster of its own on a private dockerd (test/harness/kind-*.ts): kind',
          "v0.33's node image built here, the control plane tainted, two workers of the run's kind, the",
          "suite's images pulled from a registry on the kind network's gateway. A run's time is from",
          'nothing to a removed cluster (kind create, joins, e2e.test, teardown). The workers:',
        ],
      },
      specs,
      runs,
    );
  });

  it('ran to the end', () => {
    expect(run.interruptions).toEqual([]);
  });

  for (const name of specs) {
    it(name, (context) => {
      const verdict = kind === 'containerd' ? run.results.get(name) : judged(name, run.results.get(name), readRun('containerd')?.results.get(name));
      expect(verdict, 'e2e.test produced no result for this spec').toBeDefined();
      if (verdict?.state === 'skipped') {
        context.skip('why' in verdict && typeof verdict.why === 'string' ? verdict.why : verdict.message.split('\n')[0]);
        return;
      }
      expect(verdict?.state, verdict?.message).toBe('passed');
    });
  }
});
