#!/usr/bin/env node
// The one line CI reads, "N passed, N failed, N skipped", from what scripts/test.sh left in the
// results directory. It must be the truth whatever broke, so anything that did not report counts:
//   expected-tiers      the tiers this run meant to run, one a line (written before anything else)
//   setup-failed        why the set-up (deps, tools, build) failed: one failure, and no tier ran
//   check-<name>.failed a check outside vitest (the type check) that failed: one failure each
//   <tier>.counts.json  test/harness/tier-report.ts's counts of a tier that finished
//   <tier>.exit         vitest's exit code for the tier
//   <tier>.teardown-failed  a globalSetup teardown of the tier threw (test/harness/reported-teardown.ts):
//                       vitest only logs that and exits 0, after the counts were written
// An expected tier with no readable counts is one failure; so is a tier whose vitest exited non-zero
// with nothing counted as failed. A missing directory is a run that never started: one failure.
// Exits 1 when anything failed or nothing passed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.test-results';
let passed = 0;
let failed = 0;
let skipped = 0;

function fail(reason) {
  failed += 1;
  console.error(`test-summary: FAILED ${reason}`);
}

function readText(name) {
  try {
    return readFileSync(join(dir, name), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function readCounts(tier) {
  const text = readText(`${tier}.counts.json`);
  if (text === undefined) return { error: 'wrote no report (it crashed or never started)' };
  try {
    const counts = JSON.parse(text);
    for (const key of ['passed', 'failed', 'skipped']) {
      if (!Number.isInteger(counts[key]) || counts[key] < 0) return { error: `report has no valid "${key}"` };
    }
    if (!Array.isArray(counts.problems)) return { error: 'report has no "problems" list' };
    return { counts };
  } catch (error) {
    return { error: `report is unreadable: ${error.message}` };
  }
}

if (!existsSync(dir)) {
  fail(`no results at ${dir}: the test run never started`);
} else {
  const setupFailure = readText('setup-failed');
  if (setupFailure !== undefined) fail(`set-up: ${setupFailure || 'failed'}`);
  for (const file of readdirSync(dir)
    .filter((f) => /^check-.+\.failed$/.test(f))
    .sort()) {
    fail(`${file.slice('check-'.length, -'.failed'.length)}: ${readText(file) || 'failed'}`);
  }
  const expected = (readText('expected-tiers') ?? '').split(/\s+/).filter(Boolean);
  if (expected.length === 0) fail('no expected tiers were recorded');
  for (const tier of expected) {
    const exit = readText(`${tier}.exit`);
    if (exit === undefined && setupFailure !== undefined) {
      fail(`tier ${tier}: not run, the set-up failed`);
      continue;
    }
    const { counts, error } = readCounts(tier);
    if (!counts) {
      fail(`tier ${tier}: ${error}`);
      continue;
    }
    passed += counts.passed;
    skipped += counts.skipped;
    failed += counts.failed;
    for (const problem of counts.problems) console.error(`test-summary: tier ${tier}: ${problem}`);
    const teardownFailure = readText(`${tier}.teardown-failed`);
    if (teardownFailure !== undefined) fail(`tier ${tier}: its teardown failed after the tests: ${teardownFailure}`);
    if (exit !== '0' && counts.failed === 0 && teardownFailure === undefined) {
      fail(`tier ${tier}: vitest exited ${exit ?? 'without an exit code'} with no failure counted`);
    }
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
