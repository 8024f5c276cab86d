// The kubelet's read-only HTTP port (upstream --read-only-port, 10255): metrics and stats with no
// authentication, which is why berth binds it to loopback unless told otherwise. Every page is
// computed from one CRI read pass at request time.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem, uptime } from 'node:os';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { renderCadvisor, renderResource } from './exposition.js';
import { readNodeUsage } from './node-usage.js';
import { collectPodStats, type StatsCri } from './pod-stats.js';
import { buildSummary } from './summary.js';

export interface ReadOnlyServer {
  /** host:port it listens on. */
  address: string;
  close(): Promise<void>;
}

export interface ReadOnlyServerOptions {
  /** host:port; port 0 picks a free one. */
  listen: string;
  nodeName: string;
  cri: StatsCri;
  logger: Logger;
}

const prometheusType = 'text/plain; version=0.0.4; charset=utf-8';

export async function startReadOnlyServer(options: ReadOnlyServerOptions): Promise<ReadOnlyServer> {
  const { cri, logger } = options;
  const bootTimeMs = Date.now() - uptime() * 1000;
  const pages: Record<string, () => Promise<{ type: string; body: string }>> = {
    '/healthz': async () => ({ type: 'text/plain', body: 'ok' }),
    '/metrics/cadvisor': async () => ({ type: prometheusType, body: await renderCadvisor(await collectPodStats(cri), { cpuCores: cpus().length, memoryBytes: totalmem() }) }),
    '/metrics/resource': async () => {
      const [pods, node] = await Promise.all([collectPodStats(cri).catch(() => undefined), readNodeUsage().catch(() => undefined)]);
      return { type: prometheusType, body: await renderResource(pods ?? [], node, pods === undefined) };
    },
    '/stats/summary': async () => {
      const [pods, node] = await Promise.all([collectPodStats(cri), readNodeUsage()]);
      return { type: 'application/json', body: JSON.stringify(buildSummary(options.nodeName, bootTimeMs, node, pods)) };
    },
  };
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const page = pages[path];
    if (!page) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`404 page not found: ${path} (served: ${Object.keys(pages).join(', ')})\n`);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end(`405 method ${request.method ?? ''} not allowed\n`);
      return;
    }
    page().then(
      ({ type, body }) => response.writeHead(200, { 'content-type': type }).end(request.method === 'HEAD' ? undefined : body),
      (error: unknown) => {
        logger.warn({ path }, `read-only port: ${errorMessage(error)}`);
        response.writeHead(503, { 'content-type': 'text/plain' }).end(`stats unavailable: ${errorMessage(error)}\n`);
      },
    );
  });
  const separator = options.listen.lastIndexOf(':');
  const host = options.listen.slice(0, separator).replace(/^\[|\]$/g, '');
  const port = Number(options.listen.slice(separator + 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const address = `${bound.address.includes(':') ? `[${bound.address}]` : bound.address}:${bound.port}`;
  logger.info({ address }, 'kubelet read-only port serving /metrics/cadvisor, /metrics/resource, /stats/summary');
  return {
    address,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
