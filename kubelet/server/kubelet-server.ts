// The kubelet API on its HTTPS port (upstream --port 10250), what API servers, metrics-server and
// Prometheus call: /containerLogs (kubectl logs), /pods, the stats pages and /healthz. Every
// request is authenticated and authorized through the API (authn.ts). exec, attach and
// port-forward through the API server are not served yet: they answer 501 with a pointer to the
// CRI streaming server, which crictl reaches directly.
import type { V1Pod } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Registry } from 'prom-client';
import { errorMessage, InvalidArgumentError, NotFoundError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { ReviewApi } from '../api-port.js';
import type { CriPort } from '../cri-port.js';
import { statsPages } from '../stats/pages.js';
import { accessAttributes, authenticate } from './authn.js';
import { parseLogOptions, streamContainerLog } from './container-logs.js';
import { closeServer, listenOn } from './listen.js';
import type { ServingCert } from './serving-cert.js';

export interface KubeletServerOptions {
  listen: string;
  nodeName: string;
  cert: ServingCert;
  /** PEM bundle that client certificates must chain to; without it only bearer tokens work. */
  clientCaFile: string | undefined;
  cri: CriPort;
  reviews: ReviewApi;
  pods: () => V1Pod[];
  /** The kubelet's own metrics, served as /metrics. */
  metrics?: Registry | undefined;
  logger: Logger;
}

export interface KubeletServer {
  address: string;
  close(): Promise<void>;
}

const streaming = new Set(['exec', 'attach', 'portForward', 'run']);

function reply(response: ServerResponse, status: number, text: string): void {
  if (!response.headersSent) response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${text}\n`);
}

export async function startKubeletServer(options: KubeletServerOptions): Promise<KubeletServer> {
  const { cri, logger, nodeName } = options;
  const pages = statsPages(cri, nodeName, options.metrics);

  const route = async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname;
    const parts = path.split('/').filter((p) => p !== '');
    if (request.method !== 'GET' && request.method !== 'HEAD' && !streaming.has(parts[0] ?? '')) {
      reply(response, 405, `405 method ${request.method ?? ''} not allowed on ${path}`);
      return;
    }
    if (path === '/healthz') return reply(response, 200, 'ok');
    const page = pages[path];
    if (page) {
      const { type, body } = await page();
      response.writeHead(200, { 'content-type': type }).end(body);
      return;
    }
    if (path === '/pods' || path === '/pods/') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: options.pods() }));
      return;
    }
    if (parts[0] === 'containerLogs') {
      if (parts.length !== 4) throw new InvalidArgumentError('containerLogs takes /containerLogs/{namespace}/{pod}/{container}');
      const [, namespace = '', pod = '', container = ''] = parts.map(decodeURIComponent);
      const logOptions = parseLogOptions(url.searchParams, Date.now());
      const closed = new Promise<void>((resolve) => response.once('close', () => resolve()));
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'transfer-encoding': 'chunked' });
      await streamContainerLog(cri, { namespace, pod, container }, logOptions, response, closed);
      response.end();
      return;
    }
    if (streaming.has(parts[0] ?? '')) {
      return reply(response, 501, `${parts[0] ?? ''} through the kubelet API is not served by berth's kubelet yet; use the runtime's CRI streaming (crictl exec/attach/port-forward)`);
    }
    reply(response, 404, `404 page not found: ${path}`);
  };

  const server = createServer(
    {
      cert: readFileSync(options.cert.certFile),
      key: readFileSync(options.cert.keyFile),
      ...(options.clientCaFile ? { ca: readFileSync(options.clientCaFile) } : {}),
      requestCert: true,
      // Unverified certificates are not refused at the handshake: the request then needs a token.
      rejectUnauthorized: false,
    },
    (request, response) => {
      const url = new URL(request.url ?? '/', 'https://kubelet');
      void (async () => {
        const who = await authenticate(request, options.reviews);
        if ('failure' in who) return reply(response, 401, `Unauthorized: ${who.failure}`);
        const attributes = accessAttributes(request.method ?? 'GET', url.pathname, nodeName);
        const decision = await options.reviews.reviewAccess({ user: who.user, ...attributes });
        if (!decision.allowed) {
          return reply(response, 403, `Forbidden (user=${who.user.username}, verb=${attributes.verb}, resource=nodes, subresource=${attributes.subresource})${decision.reason ? `: ${decision.reason}` : ''}`);
        }
        await route(request, response, url);
      })().catch((error: unknown) => {
        const status = error instanceof InvalidArgumentError ? 400 : error instanceof NotFoundError ? 404 : 500;
        if (status === 500) logger.warn({ path: url.pathname }, `kubelet API: ${errorMessage(error)}`);
        if (response.headersSent) response.end();
        else reply(response, status, errorMessage(error));
      });
    },
  );
  const address = await listenOn(server, options.listen);
  logger.info({ address }, 'kubelet API serving (HTTPS)');
  return { address, close: () => closeServer(server) };
}
