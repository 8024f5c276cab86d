// critest's results as vitest cases, shared by the host run (conformance/critest-berth.test.ts)
// and the pure cgroup v2 guest runs (v2-critest/): the spec list from a dry run, one case per spec
// that passes when critest passed it, fails with critest's message, and is skipped with the reason
// critest (or UNSUPPORTED below) gave. A spec left unrun by a run that was cut short fails.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { goTool } from './tools.js';

export interface SpecReport {
  LeafNodeType: string;
  LeafNodeText: string;
  ContainerHierarchyTexts: string[] | null;
  State: string;
  Failure?: { Message?: string; Location?: { FileName?: string; LineNumber?: number } };
}

/** critest specs berth does not pass yet, each with why (a regular expression on the spec text). */
export const UNSUPPORTED: { spec: string; why: string }[] = [
  {
    spec: 'public image with digest should be pulled and removed',
    why: "critest pins upstream's digest of test-image-digest; an image built locally cannot have that digest",
  },
];

/** critest's -ginkgo.skip argument for UNSUPPORTED. */
export function unsupportedSkipArgs(): string[] {
  const skip = UNSUPPORTED.map((u) => `(${u.spec})`).join('|');
  return skip ? [`-ginkgo.skip=${skip}`] : [];
}

/**
 * Why a spec critest reports as skipped was skipped, or undefined when nothing said why. critest's
 * own Skip() (no SELinux, Windows only, ...) carries its message; a spec berth asked to skip is in
 * UNSUPPORTED; a spec filtered out, or one Ginkgo skipped because the run was interrupted or timed
 * out, carries nothing (the second must count as failed: it never ran).
 */
function skipReason(name: string, spec: SpecReport): string | undefined {
  const unsupported = UNSUPPORTED.find((u) => new RegExp(u.spec).test(name));
  if (unsupported) return unsupported.why;
  const message = spec.Failure?.Message?.trim();
  return message ? `skipped by critest: ${message.split('\n')[0] ?? ''}` : undefined;
}

export function fullText(spec: SpecReport): string {
  return [...(spec.ContainerHierarchyTexts ?? []), spec.LeafNodeText].join(' ');
}

interface SuiteReport {
  SpecReports: SpecReport[] | null;
  /** Ginkgo's reasons the whole run failed, e.g. "Interrupted by Timeout". */
  SpecialSuiteFailureReasons?: string[] | null;
}

function readSuite(reportPath: string): SuiteReport | undefined {
  return (JSON.parse(readFileSync(reportPath, 'utf8')) as SuiteReport[])[0];
}

function readSpecs(reportPath: string): SpecReport[] {
  return (readSuite(reportPath)?.SpecReports ?? []).filter((s) => s.LeafNodeType === 'It');
}

export interface CritestRun {
  specs: Map<string, SpecReport>;
  /** Why the run stopped early, if it did: Ginkgo's own reasons, or our time limit. */
  interruptions: string[];
}

/** critest's JSON report as results by spec name; `stoppedBy` says why the run was cut short, if it was. */
export function readCritestRun(reportPath: string, stoppedBy?: string): CritestRun {
  const suite = readSuite(reportPath);
  const interruptions = [...(suite?.SpecialSuiteFailureReasons ?? [])];
  if (stoppedBy) interruptions.push(stoppedBy);
  const specs = (suite?.SpecReports ?? []).filter((spec) => spec.LeafNodeType === 'It');
  return { specs: new Map(specs.map((spec) => [fullText(spec), spec])), interruptions };
}

/** Every spec the pinned critest holds, from a dry run (no runtime touched). */
export async function critestSpecNames(): Promise<string[]> {
  const dryRunDir = mkdtempSync(join(tmpdir(), 'berth-critest-list-'));
  try {
    await execa(goTool('critest'), ['-ginkgo.dry-run', `-ginkgo.json-report=${join(dryRunDir, 'report.json')}`, '-runtime-endpoint=unix:///nonexistent.sock'], {
      cwd: dryRunDir,
      timeout: 60_000,
    });
    return [...new Set(readSpecs(join(dryRunDir, 'report.json')).map(fullText))];
  } finally {
    rmSync(dryRunDir, { recursive: true, force: true });
  }
}

/** The vitest cases of one full critest run; `run()` is read when the cases run, after beforeAll. */
export function critestCases(specNames: string[], run: () => CritestRun): void {
  it('ran every spec the suite lists', () => {
    expect(specNames.length).toBeGreaterThanOrEqual(120);
    expect([...run().specs.keys()].sort()).toEqual([...specNames].sort());
  });

  for (const name of specNames) {
    it(name, (context) => {
      const spec = run().specs.get(name);
      expect(spec, 'critest produced no result for this spec').toBeDefined();
      if (spec?.State === 'skipped' || spec?.State === 'pending') {
        const why = skipReason(name, spec);
        if (why === undefined) {
          // No message: filtered out by critest (its benchmark specs run only with -benchmark), or
          // never reached because the run was cut short, which Ginkgo's report alone cannot tell
          // apart; a run that was cut short says so, and then the spec did not run.
          expect(run().interruptions, 'critest did not run this spec: its run was cut short').toEqual([]);
        }
        context.skip(why ?? 'not selected by critest in this run (e.g. its benchmark specs, which need -benchmark)');
        return;
      }
      expect(spec?.State, failureText(spec)).toBe('passed');
    });
  }
}

/** critest's failure message and where in critest it failed. */
export function failureText(spec: SpecReport | undefined): string {
  const where = spec?.Failure?.Location ? ` (${spec.Failure.Location.FileName}:${spec.Failure.Location.LineNumber})` : '';
  return `${spec?.Failure?.Message ?? ''}${where}`;
}
