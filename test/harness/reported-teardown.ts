// vitest logs an error thrown by a globalSetup's teardown ("error during close") and still exits 0,
// after every reporter has finished: a leak found or a peer that would not stop would be invisible
// in the counts. A teardown wrapped here leaves a marker beside the tier's report, which
// scripts/test-summary.mjs counts as one failure, and still throws so the output shows it.
import { writeFileSync } from 'node:fs';

/** Where a failed teardown of the tier whose report is `reportPath` is recorded. */
export function teardownMarkerPath(reportPath: string): string {
  return `${reportPath.replace(/\.counts\.json$/, '')}.teardown-failed`;
}

export function reportedTeardown(teardown: () => Promise<void> | void): () => Promise<void> {
  return async () => {
    try {
      await teardown();
    } catch (error) {
      const report = process.env['BERTH_TIER_REPORT'];
      const message = error instanceof Error ? error.message : String(error);
      if (report) writeFileSync(teardownMarkerPath(report), `${message}\n`);
      throw error;
    }
  };
}
