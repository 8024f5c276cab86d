// berth's own Prometheus metrics (prom-client): a histogram of every CRI call by method and gRPC
// code, the pods and containers the runtime holds, the bytes pulled from registries, and the process metrics prom-client gathers
// (CPU, memory, event-loop lag, handles), and a histogram of event-loop delay (event-loop-delay.ts).
// Served on --metrics-address at /metrics.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { InvalidArgumentError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Runtime } from '../../runtime/runtime.js';
import { registerEventLoopDelay } from './event-loop-delay.js';
import type { CallObserver } from './instrument.js';

export class RuntimeMetrics {
  readonly registry = new Registry();
  private readonly calls = new Histogram({
    name: 'berth_cri_request_duration_seconds',
    help: 'Duration of CRI calls served by berth, by method and gRPC code',
    labelNames: ['method', 'code'],
    // From a cached list (sub-millisecond) to a large image pull (minutes).
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  constructor(runtime: Runtime) {
    collectDefaultMetrics({ register: this.registry, prefix: 'berth_' });
    registerEventLoopDelay(this.registry);
    new Gauge({
      name: 'berth_pod_sandboxes',
      help: 'Pod sandboxes berth holds, by state',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const sandbox of runtime.sandboxes.list()) this.inc({ state: sandbox.state });
      },
    });
    new Counter({
      name: 'berth_image_pull_bytes_total',
      help: 'Bytes of image blobs fetched from registries (pull time is berth_cri_request_duration_seconds{method="PullImage"})',
      registers: [this.registry],
      collect() {
        // The puller keeps the running total; a counter set by reset + inc reports it as is.
        this.reset();
        this.inc(runtime.images.pulledBytes);
      },
    });
    new Gauge({
      name: 'berth_containers',
      help: 'Containers berth holds, by state (as last recorded)',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const sandbox of runtime.sandboxes.list()) {
          for (const container of runtime.containers.inSandbox(sandbox.id)) this.inc({ state: container.state });
        }
      },
    });
  }

  readonly observe: CallObserver = (method, code, seconds) => {
    this.calls.observe({ method, code: GrpcStatus[code] ?? String(code) }, seconds);
  };
}

/** "host:port" → parts; an empty string means no metrics server. */
export function parseListenAddress(text: string): { host: string; port: number } | undefined {
  if (text === '') return undefined;
  const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match?.[1] || port > 65535) throw new InvalidArgumentError(`--metrics-address ${JSON.stringify(text)}: expected HOST:PORT (or "" for none)`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

export async function serveMetrics(address: { host: string; port: number }, registry: Registry, logger: Logger): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => {
          response.writeHead(200, { 'content-type': registry.contentType });
          response.end(text);
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(`collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
        },
      );
    } else if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('ok\n');
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('berth serves /metrics and /healthz here\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new InvalidArgumentError(`--metrics-address ${address.host}:${address.port} is in use; choose another (or "" for none)`) : error),
    );
    server.listen(address.port, address.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const url = `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}/metrics`;
  logger.info({ url }, 'metrics server listening');
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
