// The upstream end-to-end suite (e2e.test, built from the pinned k8s.io/kubernetes by
// setup/e2e-suite.sh) as a program: list the specs a focus selects, run them against a cluster,
// read Ginkgo's JSON report back as one result per spec.
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goTool } from '../../harness/tools.js';

interface SpecReport {
  LeafNodeType: string;
  LeafNodeText: string;
  ContainerHierarchyTexts: string[] | null;
  State: string;
  /** Nanoseconds. */
  RunTime?: number;
  Failure?: { Message?: string; Location?: { FileName?: string; LineNumber?: number } };
}

interface SuiteReport {
  SpecReports: SpecReport[] | null;
  SpecialSuiteFailureReasons?: string[] | null;
}

export interface SpecResult {
  state: 'passed' | 'failed' | 'skipped';
  /** Ginkgo's failure or skip message with where it was raised; "" for a pass. */
  message: string;
  seconds: number;
}

export interface SuiteRun {
  results: Map<string, SpecResult>;
  /** Why the run stopped early, if it did: Ginkgo's own reasons, or our time limit. */
  interruptions: string[];
  seconds: number;
}

export function specName(spec: Pick<SpecReport, 'ContainerHierarchyTexts' | 'LeafNodeText'>): string {
  return [...(spec.ContainerHierarchyTexts ?? []), spec.LeafNodeText].filter(Boolean).join(' ');
}

function readSuite(path: string): SuiteReport | undefined {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as SuiteReport[])[0];
  } catch {
    return undefined;
  }
}

function its(suite: SuiteReport | undefined): SpecReport[] {
  return (suite?.SpecReports ?? []).filter((s) => s.LeafNodeType === 'It');
}

/** The selection as Ginkgo CLI flags (e2e.test takes them as --ginkgo.focus/--ginkgo.skip). */
function selection(focus: string, skip: string): string[] {
  return [`--focus=${focus}`, ...(skip ? [`--skip=${skip}`] : [])];
}

/** The specs `focus`/`skip` select, by full name: a dry run, which touches no cluster. */
export async function listSpecs(focus: string, skip: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-e2e-list-'));
  try {
    const report = join(dir, 'report.json');
    await execa(goTool('e2e.test'), ['--ginkgo.dry-run', `--ginkgo.json-report=${report}`, ...selection(focus, skip).map((flag) => flag.replace(/^--/, '--ginkgo.'))], {
      cwd: dir,
      timeout: 120_000,
    });
    // The report lists every spec; those the focus leaves out are marked skipped.
    return [
      ...new Set(
        its(readSuite(report))
          .filter((s) => s.State !== 'skipped')
          .map(specName),
      ),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RunOptions {
  kubeconfig: string;
  focus: string;
  skip: string;
  /** The registry host:port that serves every image the suite names (setup/e2e-images.sh). */
  registryHost: string;
  /** e2e.test's JSON and JUnit reports and its output land here. */
  reportDir: string;
  timeoutMs: number;
  /** Parallel Ginkgo processes (the Ginkgo CLI runs e2e.test; [Serial] specs still run alone, last); default 1. */
  procs?: number;
}

/**
 * Where the suite finds its images: every registry it names, mapped onto the local one
 * (test/utils/image/manifest.go reads this file from KUBE_TEST_REPO_LIST). invalidRegistry keeps
 * its unreachable name: specs use it to see a pull fail.
 */
export function repoList(registryHost: string): string {
  const local = {
    gcRegistry: registryHost,
    gcEtcdRegistry: registryHost,
    promoterE2eRegistry: `${registryHost}/e2e-test-images`,
    buildImageRegistry: `${registryHost}/build-image`,
    sigStorageRegistry: `${registryHost}/sig-storage`,
    privateRegistry: `${registryHost}/private`,
    dockerLibraryRegistry: `${registryHost}/library`,
    cloudProviderGcpRegistry: `${registryHost}/cloud-provider-gcp`,
  };
  return `${Object.entries(local)
    .map(([key, value]) => `${key}: ${value}`)
    .join('\n')}\n`;
}

/** Each spec's result in a report, by full name (specs the focus left out included, as skipped). */
export function specResults(suite: SuiteReport | undefined): Map<string, SpecResult> {
  const results = new Map<string, SpecResult>();
  for (const spec of its(suite)) {
    const where = spec.Failure?.Location?.FileName ? ` (${spec.Failure.Location.FileName}:${spec.Failure.Location.LineNumber ?? 0})` : '';
    const state = spec.State === 'passed' ? 'passed' : spec.State === 'skipped' || spec.State === 'pending' ? 'skipped' : 'failed';
    const message = state === 'passed' ? '' : `${spec.State}: ${(spec.Failure?.Message ?? '').trim()}${where}`;
    results.set(specName(spec), { state, message, seconds: (spec.RunTime ?? 0) / 1e9 });
  }
  return results;
}

/** A finished run read back from its report directory (to render CONFORMANCE.md again). */
export function readSuiteRun(reportDir: string, seconds: number): SuiteRun {
  const suite = readSuite(join(reportDir, 'e2e.json'));
  return { results: specResults(suite), interruptions: [...(suite?.SpecialSuiteFailureReasons ?? [])], seconds };
}

export async function runSuite(options: RunOptions): Promise<SuiteRun> {
  mkdirSync(options.reportDir, { recursive: true });
  const repoListPath = join(options.reportDir, 'repo-list.yaml');
  writeFileSync(repoListPath, repoList(options.registryHost));
  const jsonReport = join(options.reportDir, 'e2e.json');
  const started = Date.now();
  const suiteArgs = [
    `--kubeconfig=${options.kubeconfig}`,
    // No cloud: the suite's own name for "a cluster it knows nothing special about".
    '--provider=skeleton',
    `--report-dir=${options.reportDir}`,
    // The fixture runs no kube-system pods (no DNS, no kube-proxy): nothing to wait for.
    '--minStartupPods=0',
    '--allowed-not-ready-nodes=0',
    // Log dumping ssh-es into nodes (a cloud's), which the skeleton provider has none of.
    '--disable-log-dump',
  ];
  // Ginkgo's own flags: e2e.test takes them with a "ginkgo." prefix, the Ginkgo CLI without.
  const ginkgoArgs = [
    `--json-report=${jsonReport}`,
    `--junit-report=${join(options.reportDir, 'junit.xml')}`,
    `--timeout=${Math.floor(options.timeoutMs / 1000) - 30}s`,
    '--no-color',
    '-v',
    ...selection(options.focus, options.skip),
  ];
  const procs = options.procs ?? 1;
  // The CLI puts a report named by a path below the suite binary's directory, whatever the path;
  // --output-dir makes it land in the run's directory (reportDir holds both reports already).
  const [command, args] =
    procs > 1
      ? [
          goTool('ginkgo'),
          ['run', `--procs=${procs}`, `--output-dir=${options.reportDir}`, ...ginkgoArgs.map((flag) => flag.replace(`=${options.reportDir}/`, '=')), goTool('e2e.test'), '--', ...suiteArgs],
        ]
      : [goTool('e2e.test'), [...suiteArgs, ...ginkgoArgs.map((flag) => flag.replace(/^--?/, '--ginkgo.'))]];
  const run = await execa(command, args, {
    env: { KUBE_TEST_REPO_LIST: repoListPath },
    reject: false,
    timeout: options.timeoutMs,
    all: true,
    cwd: options.reportDir,
  });
  writeFileSync(join(options.reportDir, 'e2e.log'), run.all ?? '');
  const suite = readSuite(jsonReport);
  const interruptions = [...(suite?.SpecialSuiteFailureReasons ?? [])];
  if (run.timedOut) interruptions.push(`e2e.test was stopped after ${options.timeoutMs / 1000} s`);
  if (!suite) interruptions.push(`e2e.test wrote no report (exit ${run.exitCode ?? run.signal ?? '?'}): ${(run.all ?? '').split('\n').slice(-5).join(' | ')}`);
  const results = specResults(suite);
  return { results, interruptions, seconds: (Date.now() - started) / 1000 };
}
