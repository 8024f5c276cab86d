// The real critest against a fresh berth (`npm run critest`), one vitest case per critest spec:
// a spec critest passed passes here, one it failed fails here with critest's message, and one
// it skipped is reported skipped. Specs berth does not support yet are skipped in critest itself
// with the reason below, so they count as skipped, never as passed.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../common/package-root.js';
import { goTool } from '../harness/tools.js';

interface SpecReport {
  LeafNodeType: string;
  LeafNodeText: string;
  ContainerHierarchyTexts: string[] | null;
  State: string;
  Failure?: { Message?: string; Location?: { FileName?: string; LineNumber?: number } };
}

/** critest specs berth does not pass yet, each with why (a regular expression on the spec text). */
const UNSUPPORTED: { spec: string; why: string }[] = [
  {
    spec: 'public image with digest should be pulled and removed',
    why: "critest pins upstream's digest of test-image-digest; an image built locally cannot have that digest",
  },
];

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

function fullText(spec: SpecReport): string {
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

interface CritestRun {
  specs: Map<string, SpecReport>;
  /** Why the run stopped early, if it did: Ginkgo's own reasons, or our time limit. */
  interruptions: string[];
}

/** Runs scripts/critest.sh (a fresh berth + critest) with `args`; returns its results by spec name. */
async function runCritest(reportDir: string, args: string[], timeoutMs: number): Promise<CritestRun> {
  const run = await execa('bash', ['scripts/critest.sh', ...args], {
    cwd: packageRoot(),
    env: { BERTH_CRITEST_REPORT_DIR: reportDir, BERTH_CRITEST_NO_BUILD: '1' },
    reject: false,
    timeout: timeoutMs,
    stdio: 'ignore',
  });
  const suite = readSuite(join(reportDir, 'critest.json'));
  const interruptions = [...(suite?.SpecialSuiteFailureReasons ?? [])];
  if (run.timedOut) interruptions.push(`critest.sh was stopped after ${timeoutMs / 1000} s`);
  const specs = (suite?.SpecReports ?? []).filter((spec) => spec.LeafNodeType === 'It');
  return { specs: new Map(specs.map((spec) => [fullText(spec), spec])), interruptions };
}

// The spec list comes from a dry run (no runtime touched), so every spec is a case of its own.
const dryRunDir = mkdtempSync(join(tmpdir(), 'berth-critest-list-'));
await execa(goTool('critest'), ['-ginkgo.dry-run', `-ginkgo.json-report=${join(dryRunDir, 'report.json')}`, '-runtime-endpoint=unix:///nonexistent.sock'], {
  cwd: dryRunDir,
  timeout: 60_000,
});
const specNames = [...new Set(readSpecs(join(dryRunDir, 'report.json')).map(fullText))];
rmSync(dryRunDir, { recursive: true, force: true });

describe('critest against berth', () => {
  const reportDir = mkdtempSync(join(tmpdir(), 'berth-critest-run-'));
  let results = new Map<string, SpecReport>();
  let interruptions: string[] = [];

  beforeAll(async () => {
    const skip = UNSUPPORTED.map((u) => `(${u.spec})`).join('|');
    ({ specs: results, interruptions } = await runCritest(reportDir, skip ? [`-ginkgo.skip=${skip}`] : [], 1_100_000));
  }, 1_200_000);

  afterAll(() => rmSync(reportDir, { recursive: true, force: true }));

  it('ran every spec the suite lists', () => {
    expect(specNames.length).toBeGreaterThanOrEqual(120);
    expect([...results.keys()].sort()).toEqual([...specNames].sort());
  });

  for (const name of specNames) {
    it(name, (context) => {
      const spec = results.get(name);
      expect(spec, 'critest produced no result for this spec').toBeDefined();
      if (spec?.State === 'skipped' || spec?.State === 'pending') {
        const why = skipReason(name, spec);
        if (why === undefined) {
          // No message: filtered out by critest (its benchmark specs run only with -benchmark), or
          // never reached because the run was cut short, which Ginkgo's report alone cannot tell
          // apart; a run that was cut short says so, and then the spec did not run.
          expect(interruptions, 'critest did not run this spec: its run was cut short').toEqual([]);
        }
        context.skip(why ?? 'not selected by critest in this run (e.g. its benchmark specs, which need -benchmark)');
        return;
      }
      const where = spec?.Failure?.Location ? ` (${spec.Failure.Location.FileName}:${spec.Failure.Location.LineNumber})` : '';
      expect(spec?.State, `${spec?.Failure?.Message ?? ''}${where}`).toBe('passed');
    });
  }
});

// The streaming specs once more with critest's WebSocket clients: exec and attach with the
// channel protocols (v5/v4 over RFC 6455), port-forward as SPDY tunneled through a WebSocket.
describe('critest streaming specs against berth over WebSocket', () => {
  const reportDir = mkdtempSync(join(tmpdir(), 'berth-critest-ws-'));
  let results = new Map<string, SpecReport>();
  const streamingSpecs = specNames.filter((name) => name.includes('Streaming'));

  beforeAll(async () => {
    ({ specs: results } = await runCritest(reportDir, ['-ginkgo.focus=Streaming', '-websocket-exec', '-websocket-attach', '-websocket-portforward'], 300_000));
  }, 320_000);

  afterAll(() => rmSync(reportDir, { recursive: true, force: true }));

  it('has streaming specs to run', () => {
    expect(streamingSpecs.length).toBeGreaterThanOrEqual(4);
  });

  for (const name of streamingSpecs) {
    it(`${name} (over WebSocket)`, () => {
      const spec = results.get(name);
      const where = spec?.Failure?.Location ? ` (${spec.Failure.Location.FileName}:${spec.Failure.Location.LineNumber})` : '';
      expect(spec?.State, `${spec?.Failure?.Message ?? ''}${where}`).toBe('passed');
    });
  }
});
