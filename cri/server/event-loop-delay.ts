// How late berth's event loop runs, as a Prometheus histogram (berth_event_loop_delay_seconds):
// every CRI call, exit watch and metrics scrape waits behind whatever holds the one thread, so
// the tail of this histogram is the tail every client sees. prom-client's default metrics give
// only a few fixed percentiles; a histogram can be aggregated and compared across scrapes.
//
// perf_hooks' monitorEventLoopDelay samples in native code: a libuv timer every `resolution` ms
// records how long it really took between two of its runs. That interval includes the resolution
// itself, which is subtracted: what remains is the delay something on the loop caused.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Histogram, Registry } from 'prom-client';

const resolutionMs = 10;
/** From "nothing in the way" to a loop stalled for seconds (sync I/O on a large directory). */
const bucketsSeconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * The fraction (0..1) of samples at or below `ns`: the inverse of histogram.percentile, by
 * bisection. percentile() takes (0, 100] only (0 throws), so the smallest sample comes as `min`.
 */
export function fractionAtOrBelow(histogram: { min: number; percentile(p: number): number }, ns: number): number {
  const percentile = (p: number): number => histogram.percentile(p);
  if (percentile(100) <= ns) return 1;
  if (histogram.min > ns) return 0;
  let low = 0;
  let high = 100;
  // 20 halvings of 100: finer than one sample in a million.
  for (let i = 0; i < 20; i++) {
    const mid = (low + high) / 2;
    if (percentile(mid) <= ns) low = mid;
    else high = mid;
  }
  return low / 100;
}

/** The Prometheus text values of a cumulative histogram of delays (seconds) from the native one. */
export function delayHistogramValues(
  histogram: Pick<IntervalHistogram, 'count' | 'mean' | 'min' | 'percentile'>,
  resolutionNs: number,
): { metricName: string; labels: { le?: string | number }; value: number }[] {
  const count = histogram.count;
  const values: { metricName: string; labels: { le?: string | number }; value: number }[] = [];
  for (const bound of bucketsSeconds) {
    const atOrBelow = count === 0 ? 0 : Math.round(count * fractionAtOrBelow(histogram, bound * 1e9 + resolutionNs));
    values.push({ metricName: 'berth_event_loop_delay_seconds_bucket', labels: { le: bound }, value: atOrBelow });
  }
  values.push({ metricName: 'berth_event_loop_delay_seconds_bucket', labels: { le: '+Inf' }, value: count });
  const meanDelayNs = count === 0 ? 0 : Math.max(0, histogram.mean - resolutionNs);
  values.push({ metricName: 'berth_event_loop_delay_seconds_sum', labels: {}, value: (meanDelayNs * count) / 1e9 });
  values.push({ metricName: 'berth_event_loop_delay_seconds_count', labels: {}, value: count });
  return values;
}

/**
 * Starts sampling and registers the histogram on `registry`. Cumulative since start, as
 * Prometheus histograms are; the sampling timer is unref'd and never keeps berth alive.
 */
export function registerEventLoopDelay(registry: Registry): { stop(): void } {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  const name = 'berth_event_loop_delay_seconds';
  const help = `How late berth's event loop ran (sampled every ${resolutionMs} ms by perf_hooks.monitorEventLoopDelay): time something else held the loop`;
  // prom-client renders any registered object with this shape; its own Histogram cannot be
  // filled from another histogram's counts, only one observation at a time.
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: delayHistogramValues(histogram, resolutionMs * 1e6) }),
    reset: () => histogram.reset(),
  };
  registry.registerMetric(metric as unknown as Histogram);
  return { stop: () => histogram.disable() };
}
