#!/usr/bin/env node
// Sums the vitest JSON reports of every tier into the one line CI reads:
// "N passed, N failed, N skipped". A test file that failed to load counts as one failure, so a
// broken file can never look like a clean run. Exits 1 when anything failed or nothing ran.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.test-results';
let passed = 0;
let failed = 0;
let skipped = 0;
let files;
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.json'));
} catch {
  files = [];
}
for (const file of files) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  for (const suite of report.testResults ?? []) {
    const hasFailedTest = (suite.assertionResults ?? []).some((t) => t.status === 'failed');
    if (suite.status === 'failed' && !hasFailedTest) {
      console.error(`test-summary: ${suite.name} failed outside any test: ${suite.message ?? ''}`);
      failed += 1;
    }
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
