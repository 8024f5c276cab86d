import { describe, expect, it } from 'vitest';
import { RestartBackoff } from '../../../kubelet/backoff.js';

/** Each crash exits 1 s after it started; returns the delay each restart had to wait. */
function delaysOver(crashes: number, backoff = new RestartBackoff()): number[] {
  const delays: number[] = [];
  let now = 0;
  for (let i = 0; i < crashes; i++) {
    const exit = { startedAtMs: now, finishedAtMs: now + 1_000 };
    now = exit.finishedAtMs;
    const decision = backoff.check('pod/main', exit, now);
    const delay = decision.restart ? 0 : decision.delayMs;
    delays.push(delay);
    now += delay;
    expect(backoff.check('pod/main', exit, now)).toEqual({ restart: true });
  }
  return delays;
}

describe('CrashLoopBackOff', () => {
  it('restarts the first crash at once, then waits 10 s doubling up to 300 s', () => {
    expect(delaysOver(9)).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it('does not grow the delay when the same exit is observed again', () => {
    const backoff = new RestartBackoff();
    backoff.check('pod/main', { startedAtMs: 0, finishedAtMs: 1_000 }, 1_000);
    const exit = { startedAtMs: 1_000, finishedAtMs: 2_000 };
    const first = backoff.check('pod/main', exit, 2_000);
    const again = backoff.check('pod/main', exit, 3_000);
    expect(first).toEqual({ restart: false, untilMs: 12_000, delayMs: 10_000 });
    expect(again).toEqual({ restart: false, untilMs: 12_000, delayMs: 10_000 });
  });

  it('starts over after a container ran for 10 minutes', () => {
    const backoff = new RestartBackoff();
    delaysOver(5, backoff);
    const longRun = { startedAtMs: 1_000_000, finishedAtMs: 1_000_000 + 600_000 };
    expect(backoff.check('pod/main', longRun, longRun.finishedAtMs)).toEqual({ restart: true });
  });

  it('keeps separate histories per container and forgets a pod by prefix', () => {
    const backoff = new RestartBackoff();
    backoff.check('uid-a/main', { startedAtMs: 0, finishedAtMs: 1 }, 1);
    expect(backoff.check('uid-a/main', { startedAtMs: 2, finishedAtMs: 3 }, 3).restart).toBe(false);
    expect(backoff.check('uid-b/main', { startedAtMs: 2, finishedAtMs: 3 }, 3).restart).toBe(true);
    backoff.forget('uid-a/');
    expect(backoff.check('uid-a/main', { startedAtMs: 4, finishedAtMs: 5 }, 5).restart).toBe(true);
  });
});
