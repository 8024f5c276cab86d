// The kubelet's read-only HTTP port (upstream --read-only-port, 10255): metrics and stats with no
// authentication, which is why berth binds it to loopback unless told otherwise. Every page is
// computed from one CRI read pass at request time.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { closeServer, listenOn } from '../server/listen.js';
import { statsPages, type Page } from './pages.js';
import type { GpuSource, PagesCri } from './pages.js';
import type { StorageDirs } from './storage.js';

export interface ReadOnlyServer {
  /** host:port it listens on. */
  address: string;
  close(): Promise<void>;
}

export interface ReadOnlyServerOptions {
  /** host:port; port 0 picks a free one. */
  listen: string;
  nodeName: string;
  cri: PagesCri;
  /** The kubelet's own metrics, served as /metrics. */
  metrics?: Registry | undefined;
  probeMetrics?: Registry | undefined;
  gpus?: GpuSource | undefined;
  storage?: StorageDirs | undefined;
  logger: Logger;
}

export async function startReadOnlyServer(options: ReadOnlyServerOptions): Promise<ReadOnlyServer> {
  const { cri, logger } = options;
  const pages: Record<string, () => Promise<Page>> = {
    '/healthz': async () => ({ type: 'text/plain', body: 'ok' }),
    ...statsPages(cri, { nodeName: options.nodeName, metrics: options.metrics, probeMetrics: options.probeMetrics, gpus: options.gpus, storage: options.storage }),
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
  const address = await listenOn(server, options.listen);
  logger.info({ address }, 'kubelet read-only port serving /metrics/cadvisor, /metrics/resource, /stats/summary');
  return { address, close: () => closeServer(server) };
}
