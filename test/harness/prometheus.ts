// A real Prometheus (Debian's) scraping the given targets every second, with its HTTP API on a
// free loopback port; query() runs an instant PromQL query.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from './daemon.js';
import { freePort } from './ports.js';

export interface Prometheus {
  url: string;
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

export async function startPrometheus(targets: { job: string; target: string; path?: string }[]): Promise<Prometheus> {
  const work = mkdtempSync(join(tmpdir(), 'berth-prometheus-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const jobs = targets.map((t) => `  - job_name: ${t.job}\n    metrics_path: ${t.path ?? '/metrics'}\n    static_configs:\n      - targets: ['${t.target}']`).join('\n');
  writeFileSync(join(work, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n${jobs}\n`);
  const daemon = await startDaemon({
    name: 'prometheus',
    command: 'prometheus',
    args: [`--config.file=${join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${join(work, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    logPath: join(work, 'prometheus.log'),
    ready: async () => (await fetch(`${url}/-/ready`)).ok,
    timeoutMs: 30_000,
  });
  return {
    url,
    query: async (promql) => {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`prometheus query ${promql} failed: ${JSON.stringify(body)}`);
      return body.data.result;
    },
    stop: async () => {
      await daemon.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
