// berth's /metrics scraped by a real Prometheus: the CRI call histogram by method and code, the
// pods and containers it holds, the bytes it pulled, and the process metrics.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CriClient } from '../../../cri/client/cri-client.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { freePort } from '../../harness/ports.js';
import { startPrometheus, type Prometheus } from '../../harness/prometheus.js';

let berth: Berth;
let prometheus: Prometheus;
let client: CriClient;
let metricsTarget = '';
const registry = inject('registryHost');

beforeAll(async () => {
  metricsTarget = `127.0.0.1:${await freePort()}`;
  berth = await startBerth({ args: ['--metrics-address', metricsTarget, '--insecure-registry', registry] });
  client = new CriClient({ endpoint: berth.socket });
  prometheus = await startPrometheus([{ job: 'berth', target: metricsTarget }]);
});

afterAll(async () => {
  client?.close();
  await prometheus?.stop();
  await berth?.stop();
});

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 150; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Prometheus never showed ${what}`);
}

describe('berth /metrics', () => {
  it('serves the Prometheus text format', async () => {
    const response = await fetch(`http://${metricsTarget}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('# TYPE berth_cri_request_duration_seconds histogram');
    expect(text).toContain('berth_process_resident_memory_bytes');
  });

  it('counts CRI calls by method and code, as Prometheus scrapes them', async () => {
    for (let i = 0; i < 5; i++) await client.version();
    await client.containerStatus('no-such-container').catch(() => undefined);
    const versions = await eventually('Version calls', async () => {
      const result = await prometheus.query('berth_cri_request_duration_seconds_count{method="Version",code="OK"}');
      const value = Number(result[0]?.value[1] ?? 0);
      return value >= 5 ? value : undefined;
    });
    expect(versions).toBeGreaterThanOrEqual(5);
    const notFound = await prometheus.query('berth_cri_request_duration_seconds_count{method="ContainerStatus",code="NOT_FOUND"}');
    expect(Number(notFound[0]?.value[1])).toBe(1);
    const up = await prometheus.query('up{job="berth"}');
    expect(up[0]?.value[1]).toBe('1');
  });

  it('exports the event loop delay as a histogram Prometheus takes quantiles of', async () => {
    const text = await (await fetch(`http://${metricsTarget}/metrics`)).text();
    expect(text).toContain('# TYPE berth_event_loop_delay_seconds histogram');
    expect(text).toMatch(/^berth_event_loop_delay_seconds_bucket\{le="\+Inf"\} \d+$/m);
    const p99 = await eventually('an event loop delay quantile', async () => {
      const result = await prometheus.query('histogram_quantile(0.99, berth_event_loop_delay_seconds_bucket)');
      const value = Number(result[0]?.value[1]);
      return Number.isFinite(value) ? value : undefined;
    });
    expect(p99).toBeGreaterThanOrEqual(0);
  });

  it('counts the bytes a pull fetched from the registry, and nothing for a pull of blobs it has', async () => {
    const pulled = async (): Promise<number> => {
      const text = await (await fetch(`http://${metricsTarget}/metrics`)).text();
      return Number(/^berth_image_pull_bytes_total (\d+)$/m.exec(text)?.[1]);
    };
    expect(await pulled()).toBe(0);
    const image = `${registry}/busybox:latest`;
    await client.pullImage(image);
    const size = Number((await client.imageStatus(image)).image?.size ?? 0);
    const after = await pulled();
    // Config and layers as the manifest sizes them (the compressed bytes on the wire).
    expect(after).toBeGreaterThan(0);
    expect(after).toBe(size);
    await client.pullImage(image);
    expect(await pulled()).toBe(after);
  });
});
