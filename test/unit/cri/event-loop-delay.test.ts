// The event-loop delay histogram's conversion from the native histogram's percentiles to
// Prometheus buckets (pure logic; the real metric is scraped in integration/cri/metrics.test.ts).
import { describe, expect, it } from 'vitest';
import { delayHistogramValues, fractionAtOrBelow } from '../../../cri/server/event-loop-delay.js';

const ms = 1e6;
// 100 samples: 90 on time (10 ms apart, the resolution), 9 at 13 ms, one stalled at 60 ms.
// percentile() refuses 0, as the native one does ("must be > 0 && <= 100").
const percentile = (p: number): number => {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} out of range`);
  return p <= 90 ? 10 * ms : p <= 99 ? 13 * ms : 60 * ms;
};
const native = { min: 10 * ms, percentile };

describe('event loop delay histogram', () => {
  it('inverts the percentile function', () => {
    expect(fractionAtOrBelow(native, 9 * ms)).toBe(0);
    expect(fractionAtOrBelow(native, 10 * ms)).toBeCloseTo(0.9, 4);
    expect(fractionAtOrBelow(native, 20 * ms)).toBeCloseTo(0.99, 4);
    expect(fractionAtOrBelow(native, 60 * ms)).toBe(1);
  });

  it('subtracts the sampling interval and writes cumulative buckets, sum and count', () => {
    const values = delayHistogramValues({ count: 100, mean: 10.77 * ms, ...native }, 10 * ms);
    const bucket = (le: number | string): number | undefined => values.find((v) => v.labels.le === le)?.value;
    expect(bucket(0.001)).toBe(90);
    expect(bucket(0.005)).toBe(99);
    expect(bucket(0.05)).toBe(100);
    expect(bucket('+Inf')).toBe(100);
    expect(values.find((v) => v.metricName.endsWith('_count'))?.value).toBe(100);
    expect(values.find((v) => v.metricName.endsWith('_sum'))?.value).toBeCloseTo(0.077, 6);
  });

  it('has empty buckets before the first sample', () => {
    const values = delayHistogramValues({ count: 0, mean: Number.NaN, min: 0, percentile }, 10 * ms);
    expect(values.every((v) => v.value === 0)).toBe(true);
  });
});
