import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RuntimeHealth, binaryAnswers, dirWritable, type Readiness } from '../../../runtime/oci/runtime-health.js';

const work = mkdtempSync(join(tmpdir(), 'berth-health-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(work, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('the readiness checks', () => {
  it('pass for a binary that answers --version', async () => {
    expect(await binaryAnswers('OCI runtime runc', script('ok', 'echo "runc 1.1"'), 'R', 1_000)()).toBeUndefined();
  });

  it('name the binary, its exit and its first stderr line when it fails', async () => {
    const path = script('fails', 'echo "broken lib" >&2; exit 3');
    expect(await binaryAnswers('conmon', path, 'ConmonNotAnswering', 1_000)()).toEqual({
      ok: false,
      reason: 'ConmonNotAnswering',
      message: `conmon (${path}) --version exited 3: broken lib; berth cannot run containers until it answers`,
    });
  });

  it('give a binary that hangs a deadline', async () => {
    const started = Date.now();
    const answer = await binaryAnswers('OCI runtime runc', script('hangs', 'exec sleep 30'), 'R', 300)();
    expect(answer?.message).toMatch(/did not answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('say when a binary is gone', async () => {
    expect((await binaryAnswers('OCI runtime runc', join(work, 'absent'), 'R', 300)())?.message).toMatch(/could not be run/);
  });

  it('pass for a writable dir and name one that is not', async () => {
    expect(await dirWritable('state dir', work, 'S')()).toBeUndefined();
    expect(await dirWritable('state dir', join(work, 'absent'), 'StateDirNotWritable')()).toMatchObject({ ok: false, reason: 'StateDirNotWritable' });
  });
});

describe('RuntimeHealth', () => {
  const down: Readiness = { ok: false, reason: 'Down', message: 'down' };

  it('reuses an answer within its TTL, runs one check for concurrent callers, and checks again after', async () => {
    let now = 0;
    let runs = 0;
    let answer: Readiness | undefined = down;
    const health = new RuntimeHealth({
      checks: [
        async () => {
          runs++;
          return answer;
        },
      ],
      ttlMs: 1_000,
      now: () => now,
    });
    expect(await Promise.all([health.readiness(), health.readiness(), health.readiness()])).toEqual([down, down, down]);
    expect(runs).toBe(1);
    answer = undefined;
    now = 999;
    expect(await health.readiness()).toEqual(down);
    now = 1_000;
    expect(await health.readiness()).toEqual({ ok: true, reason: '', message: '' });
    expect(runs).toBe(2);
  });

  it('answers with the first failing check in their order, and a check that throws is a failure', async () => {
    const health = new RuntimeHealth({
      checks: [
        async () => undefined,
        async () => {
          throw new Error('boom');
        },
        async () => down,
      ],
    });
    expect(await health.readiness()).toEqual({ ok: false, reason: 'RuntimeCheckFailed', message: 'boom' });
  });
});
