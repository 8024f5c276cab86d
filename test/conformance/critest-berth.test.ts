// The real critest against a fresh berth (`npm run critest`), one vitest case per critest spec:
// a spec critest passed passes here, one it failed fails here with critest's message, and one
// it skipped is reported skipped. Specs berth does not support yet are skipped in critest itself
// with the reason in harness/critest-specs.ts (UNSUPPORTED), so they count as skipped, never as passed.
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../common/package-root.js';
import { type CritestRun, critestCases, critestSpecNames, failureText, readCritestRun, type SpecReport, unsupportedSkipArgs } from '../harness/critest-specs.js';

/** Runs scripts/critest.sh (a fresh berth + critest) with `args`; returns its results by spec name. */
async function runCritest(reportDir: string, args: string[], timeoutMs: number): Promise<CritestRun> {
  const run = await execa('bash', ['scripts/critest.sh', ...args], {
    cwd: packageRoot(),
    env: { BERTH_CRITEST_REPORT_DIR: reportDir, BERTH_CRITEST_NO_BUILD: '1' },
    reject: false,
    timeout: timeoutMs,
    stdio: 'ignore',
  });
  return readCritestRun(join(reportDir, 'critest.json'), run.timedOut ? `critest.sh was stopped after ${timeoutMs / 1000} s` : undefined);
}

const specNames = await critestSpecNames();

describe('critest against berth', () => {
  const reportDir = mkdtempSync(join(tmpdir(), 'berth-critest-run-'));
  let run: CritestRun = { specs: new Map(), interruptions: [] };

  beforeAll(async () => {
    run = await runCritest(reportDir, unsupportedSkipArgs(), 1_100_000);
  }, 1_200_000);

  afterAll(() => rmSync(reportDir, { recursive: true, force: true }));

  critestCases(specNames, () => run);
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
      expect(spec?.State, failureText(spec)).toBe('passed');
    });
  }
});
