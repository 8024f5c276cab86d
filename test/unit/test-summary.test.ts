// The summary line must be the truth whatever broke. Each case runs the real vitest on a fixture
// project (test/fixtures/test-summary/) with berth's tier reporter, lays out a results directory
// as scripts/test.sh does, and reads the line scripts/test-summary.mjs prints and its exit code.
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../common/package-root.js';
import { teardownMarkerPath } from '../harness/reported-teardown.js';

const root = packageRoot();
const fixtures = join(root, 'test/fixtures/test-summary');
const reporter = join(root, 'test/harness/tier-report.ts');
const work = mkdtempSync(join(tmpdir(), 'berth-test-summary-'));

interface FixtureRun {
  exitCode: number;
  counts: string;
  /** What a globalSetup teardown that threw recorded, if one did. */
  teardownFailure: string | undefined;
}

const runs = new Map<string, FixtureRun>();

/** The real vitest on one fixture project; its tier report and exit code. */
async function runFixture(project: string): Promise<FixtureRun> {
  const report = join(work, 'reports', `${project}.counts.json`);
  mkdirSync(dirname(report), { recursive: true });
  const result = await execa(join(root, 'node_modules/.bin/vitest'), ['run', '--root', fixtures, '--project', project, `--reporter=${reporter}`], {
    cwd: root,
    env: { BERTH_TIER_REPORT: report, CI: 'true' },
    reject: false,
    timeout: 60_000,
  });
  const marker = teardownMarkerPath(report);
  return { exitCode: result.exitCode ?? -1, counts: readFileSync(report, 'utf8'), teardownFailure: existsSync(marker) ? readFileSync(marker, 'utf8') : undefined };
}

interface Layout {
  expected: string[];
  /** Tier name → the fixture run whose report and exit code it gets. */
  tiers?: Record<string, string>;
  setupFailed?: string;
  checksFailed?: string[];
  /** Tier name → report text written instead of a fixture's. */
  rawReports?: Record<string, string>;
  exitCodes?: Record<string, number>;
}

let caseNumber = 0;
async function summarize(layout: Layout): Promise<{ line: string; exitCode: number; stderr: string }> {
  caseNumber += 1;
  const dir = join(work, `case-${caseNumber}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'expected-tiers'), `${layout.expected.join('\n')}\n`);
  if (layout.setupFailed !== undefined) writeFileSync(join(dir, 'setup-failed'), layout.setupFailed);
  for (const check of layout.checksFailed ?? []) writeFileSync(join(dir, `check-${check}.failed`), `${check} failed`);
  for (const [tier, project] of Object.entries(layout.tiers ?? {})) {
    const run = runs.get(project);
    if (!run) throw new Error(`fixture ${project} did not run`);
    writeFileSync(join(dir, `${tier}.counts.json`), run.counts);
    writeFileSync(join(dir, `${tier}.exit`), String(run.exitCode));
    if (run.teardownFailure !== undefined) writeFileSync(join(dir, `${tier}.teardown-failed`), run.teardownFailure);
  }
  for (const [tier, text] of Object.entries(layout.rawReports ?? {})) writeFileSync(join(dir, `${tier}.counts.json`), text);
  for (const [tier, code] of Object.entries(layout.exitCodes ?? {})) writeFileSync(join(dir, `${tier}.exit`), String(code));
  return summarizeDir(dir);
}

async function summarizeDir(dir: string): Promise<{ line: string; exitCode: number; stderr: string }> {
  const result = await execa('node', [join(root, 'scripts/test-summary.mjs'), dir], { reject: false });
  return { line: result.stdout.trim().split('\n').at(-1) ?? '', exitCode: result.exitCode ?? -1, stderr: result.stderr };
}

beforeAll(async () => {
  const projects = ['passing', 'setup-fails', 'teardown-fails', 'unhandled', 'load-fails', 'global-setup-fails', 'global-teardown-fails'];
  for (const project of projects) runs.set(project, await runFixture(project));
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the test summary line', () => {
  it('counts a clean tier, skips declared or taken inside a test as skipped, and exits 0', async () => {
    const summary = await summarize({ expected: ['unit'], tiers: { unit: 'passing' } });
    expect(summary.line).toBe('2 passed, 0 failed, 2 skipped');
    expect(summary.exitCode).toBe(0);
  });

  it('counts the tests of a suite whose beforeAll threw as failed, not skipped', async () => {
    const summary = await summarize({ expected: ['integration'], tiers: { integration: 'setup-fails' } });
    expect(summary.line).toBe('1 passed, 2 failed, 0 skipped');
    expect(summary.exitCode).toBe(1);
  });

  it('counts an afterAll that threw after passing tests as a failure', async () => {
    const summary = await summarize({ expected: ['integration'], tiers: { integration: 'teardown-fails' } });
    expect(summary.line).toBe('1 passed, 1 failed, 0 skipped');
    expect(summary.stderr).toContain('the clean-up failed');
  });

  it('counts an unhandled error after the tests passed as a failure', async () => {
    const summary = await summarize({ expected: ['unit'], tiers: { unit: 'unhandled' } });
    expect(summary.line).toBe('2 passed, 1 failed, 0 skipped');
    expect(summary.stderr).toContain('thrown after the test returned');
  });

  it('counts a file that does not load as a failure', async () => {
    const summary = await summarize({ expected: ['unit'], tiers: { unit: 'load-fails' } });
    expect(summary.line).toBe('0 passed, 1 failed, 0 skipped');
    expect(summary.stderr).toContain('the file does not load');
  });

  it('counts a tier whose globalSetup threw as failed, named', async () => {
    const summary = await summarize({ expected: ['unit', 'e2e'], tiers: { unit: 'passing', e2e: 'global-setup-fails' } });
    expect(summary.line).toBe('2 passed, 1 failed, 2 skipped');
    expect(summary.stderr).toContain('tier e2e');
    expect(summary.exitCode).toBe(1);
  });

  it('counts a globalSetup teardown that threw after every test passed (vitest itself exits 0)', async () => {
    expect(runs.get('global-teardown-fails')?.exitCode).toBe(0);
    const summary = await summarize({ expected: ['integration'], tiers: { integration: 'global-teardown-fails' } });
    expect(summary.line).toBe('2 passed, 1 failed, 2 skipped');
    expect(summary.stderr).toContain('the sweep found 3 leaked mounts');
    expect(summary.exitCode).toBe(1);
  });

  it('counts an expected tier that wrote no report (it crashed) as failed, named', async () => {
    const summary = await summarize({ expected: ['unit', 'conformance'], tiers: { unit: 'passing' }, exitCodes: { conformance: 134 } });
    expect(summary.line).toBe('2 passed, 1 failed, 2 skipped');
    expect(summary.stderr).toContain('tier conformance: wrote no report');
  });

  it('counts an unreadable or half-written report as failed', async () => {
    const summary = await summarize({ expected: ['unit', 'e2e'], tiers: { unit: 'passing' }, rawReports: { e2e: '{"version":1,"pass' }, exitCodes: { e2e: 0 } });
    expect(summary.line).toBe('2 passed, 1 failed, 2 skipped');
    expect(summary.stderr).toContain('tier e2e: report is unreadable');
  });

  it('counts a tier whose vitest exited non-zero with nothing counted as failed', async () => {
    const clean = runs.get('passing')?.counts ?? '';
    const summary = await summarize({ expected: ['unit'], rawReports: { unit: clean }, exitCodes: { unit: 1 } });
    expect(summary.line).toBe('2 passed, 1 failed, 2 skipped');
    expect(summary.stderr).toContain('vitest exited 1');
  });

  it('counts a failed set-up and every tier it kept from running', async () => {
    const summary = await summarize({ expected: ['unit', 'integration'], setupFailed: 'setting up the tools failed' });
    expect(summary.line).toBe('0 passed, 3 failed, 0 skipped');
    expect(summary.stderr).toContain('set-up: setting up the tools failed');
  });

  it('counts a failed type check beside the tiers', async () => {
    const summary = await summarize({ expected: ['unit'], tiers: { unit: 'passing' }, checksFailed: ['typecheck'] });
    expect(summary.line).toBe('2 passed, 1 failed, 2 skipped');
    expect(summary.exitCode).toBe(1);
  });

  it('counts a run that left no results directory as failed', async () => {
    const summary = await summarizeDir(join(work, 'never-made'));
    expect(summary.line).toBe('0 passed, 1 failed, 0 skipped');
    expect(summary.exitCode).toBe(1);
  });
});
