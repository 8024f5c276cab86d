import { describe, expect, it } from 'vitest';
import { retryDelayMs, rotationDeadlineMs } from '../../../../kubelet/bootstrap/client-certificate-rotation.js';

describe('client certificate rotation deadline', () => {
  const hour = 3_600_000;
  it.each([
    [0, 0.7],
    [0.5, 0.8],
    [0.75, 0.85],
  ])('with random %s falls at %s of the lifetime (between 70 and 90 %%)', (random, fraction) => {
    expect(rotationDeadlineMs(1_000, 1_000 + 10 * hour, random)).toBeCloseTo(1_000 + fraction * 10 * hour, -1);
  });

  it('counts from the later start it is given, not a backdated notBefore', () => {
    // A 60 s certificate backdated 5 minutes: counted from notBefore it would be due on arrival.
    const notBefore = 0;
    const arrived = 5 * 60_000;
    const notAfter = arrived + 60_000;
    expect(rotationDeadlineMs(notBefore, notAfter, 0)).toBeLessThan(arrived);
    expect(rotationDeadlineMs(arrived, notAfter, 0)).toBe(arrived + 42_000);
  });

  it('backs off from 1 s doubling to 5 minutes', () => {
    expect([0, 1, 2, 8, 9, 20].map(retryDelayMs)).toEqual([1_000, 2_000, 4_000, 256_000, 300_000, 300_000]);
  });
});
