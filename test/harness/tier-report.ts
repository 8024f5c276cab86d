// A vitest reporter that writes one tier's counts for scripts/test-summary.mjs, from vitest's own
// view of the run rather than its JSON report, which cannot tell a test skipped on purpose from
// one that never ran because a beforeAll threw, and says nothing of unhandled errors.
//
// The rules (each problem is also named, so the summary can say what failed outside a test):
// - a test that passed or failed counts as such;
// - a skipped test counts as skipped only when nothing above it failed: a test left unrun because
//   a suite's or the file's set-up threw counts as failed;
// - an error of a suite or file that no failed test accounts for (a file that did not load, an
//   afterAll that threw) counts as one failure;
// - every unhandled error (a globalSetup that threw, a rejection after a test) counts as one failure;
// - a run that was interrupted, or that vitest calls failed with nothing above to show for it (a
//   globalSetup that threw), counts as one failure.
//
// The file is named by BERTH_TIER_REPORT; without it the reporter does nothing.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Reporter, SerializedError, TestCase, TestModule, TestRunEndReason, TestSuite } from 'vitest/node';

export interface TierCounts {
  version: 1;
  passed: number;
  failed: number;
  skipped: number;
  /** What failed outside any test, one line each. */
  problems: string[];
}

function firstLine(error: SerializedError): string {
  return (error.message ?? String(error)).split('\n')[0] ?? '';
}

/** The suites and the module above a test, nearest first. */
function ancestors(test: TestCase): (TestSuite | TestModule)[] {
  const chain: (TestSuite | TestModule)[] = [];
  let node: TestSuite | TestModule = test.parent;
  for (;;) {
    chain.push(node);
    if (node.type === 'module') return chain;
    node = node.parent;
  }
}

function label(entity: TestSuite | TestModule): string {
  return entity.type === 'module' ? entity.relativeModuleId : `${entity.module.relativeModuleId} > ${entity.fullName}`;
}

export function countTier(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): TierCounts {
  const counts: TierCounts = { version: 1, passed: 0, failed: 0, skipped: 0, problems: [] };
  const accounted = new Set<TestSuite | TestModule>();
  for (const module of modules) {
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') {
        counts.passed += 1;
        continue;
      }
      const brokenAbove = ancestors(test).find((entity) => entity.errors().length > 0);
      if (state === 'failed' || brokenAbove) {
        counts.failed += 1;
        if (brokenAbove) accounted.add(brokenAbove);
        for (const entity of ancestors(test)) accounted.add(entity);
      } else if (state === 'skipped') {
        counts.skipped += 1;
      } else {
        // A test still pending when the run ended never got to say how it went.
        counts.failed += 1;
        counts.problems.push(`${test.module.relativeModuleId} > ${test.fullName}: did not finish`);
      }
    }
    for (const entity of [module, ...module.children.allSuites()]) {
      const errors = entity.errors();
      if (errors.length === 0 || accounted.has(entity)) continue;
      counts.failed += 1;
      counts.problems.push(`${label(entity)}: ${errors.map(firstLine).join('; ')}`);
    }
  }
  for (const error of unhandledErrors) {
    counts.failed += 1;
    counts.problems.push(`unhandled error: ${firstLine(error)}`);
  }
  if (reason === 'interrupted') {
    counts.failed += 1;
    counts.problems.push('the run was interrupted before it finished');
  } else if (reason === 'failed' && counts.failed === 0) {
    // vitest says the run failed yet no test, suite or unhandled error above did: an error
    // before any test ran, such as a globalSetup that threw.
    counts.failed += 1;
    counts.problems.push('the run failed outside any test (a globalSetup or the run itself; see the output above)');
  }
  return counts;
}

export default class TierReport implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    const path = process.env['BERTH_TIER_REPORT'];
    if (!path) return;
    mkdirSync(dirname(path), { recursive: true });
    // Written whole or not at all: a half-written report must read as missing, not as a count.
    writeFileSync(`${path}.tmp`, `${JSON.stringify(countTier(modules, unhandledErrors, reason), null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
  }
}
