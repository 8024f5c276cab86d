// The kubelet API on its HTTPS port (upstream --port 10250), what API servers, metrics-server and
// Prometheus call: /containerLogs (kubectl logs), /exec, /attach and /portForward (kubectl exec,
// attach and port-forward: upgraded connections proxied to the runtime's CRI streaming server),
// /run (a command's output), /pods, the stats pages and /healthz. Every request, /healthz
// included (as upstream's auth filter covers every path on this port), is authenticated and
// authorized through the API (authn.ts). What a caller can send is bounded before that: the
// request head by the parser (as Go's 1 MiB MaxHeaderBytes upstream), the URL by a 414.
//
// The port speaks HTTP/2 (ALPN h2) beside HTTP/1.1, as Go's server does for upstream's kubelet. The
// API server relies on it: it streams `pods/log` to a WebSocket client by copying the kubelet's
// response body, and its copy drops a read that returns data together with end-of-file, which an
// HTTP/1.1 body with the whole log in one read does (chunked or sized); HTTP/2 hands the end over
// apart from the data. Upgrades (exec, attach, port-forward) stay HTTP/1.1, as the API server asks.
import type { V1Pod } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { BerthError, errorMessage } from '../../common/errors.js';
import { refuseUpgrade } from '../../common/refuse-upgrade.js';
import type { Logger } from '../../common/logger.js';
import type { ReviewApi } from '../api-port.js';
import type { CriPort } from '../cri-port.js';
import { statsPages, type GpuSource } from '../stats/pages.js';
import type { StorageDirs } from '../stats/storage.js';
import { accessAttributes, authenticate } from './authn.js';
import { findContainerLog, parseLogOptions, parseLogTarget, streamContainerLog } from './container-logs.js';
import { listenOn } from './listen.js';
import { parseRunRequest, runInContainer } from './run-command.js';
import type { ServingCert } from './serving-cert.js';
import { parseStreamRequest, streamingPaths } from './stream-requests.js';
import { streamingUrl } from './stream-targets.js';
import { proxyUpgrade } from './upgrade-proxy.js';

export interface KubeletServerOptions {
  listen: string;
  nodeName: string;
  cert: ServingCert;
  /** PEM bundle that client certificates must chain to; without it only bearer tokens work. */
  clientCaFile: string | undefined;
  /** The only directory /containerLogs reads from (the kubelet's --pod-logs-dir). */
  podLogsDir: string;
  cri: CriPort;
  reviews: ReviewApi;
  pods: () => V1Pod[];
  /** The kubelet's own metrics, served as /metrics. */
  metrics?: Registry | undefined;
  /** Probe results, served as /metrics/probes. */
  probeMetrics?: Registry | undefined;
  /** The node's GPUs for the DCGM-named GPU metrics on /metrics/cadvisor. */
  gpus?: GpuSource | undefined;
  storage?: StorageDirs | undefined;
  logger: Logger;
}

export interface KubeletServer {
  address: string;
  /** Serves this certificate to new connections from now on (a rotated or newly issued one). */
  useCertificate(pem: { certPem: string; keyPem: string }): void;
  close(): Promise<void>;
}

type ApiRequest = IncomingMessage | Http2ServerRequest;
type ApiResponse = ServerResponse | Http2ServerResponse;

function reply(response: ApiResponse, status: number, text: string): void {
  if (!response.headersSent) response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${text}\n`);
}

/** Request line plus headers, as upstream's MaxHeaderBytes; a longer head is a 431 from the parser. */
const maxHeadBytes = 1 << 20;
/** The longest URL served: room for kubectl exec's command, far below the head's bound. */
export const maxUrlBytes = 256 << 10;

/** The methods each first path segment answers (upstream registers exec/attach/portForward for both). */
function allowedMethods(first: string): readonly string[] {
  if (streamingPaths.has(first)) return ['GET', 'POST'];
  if (first === 'run') return ['POST'];
  return ['GET', 'HEAD'];
}

/** An answer on a connection that asked to upgrade (no ServerResponse exists for it). */
function replyRaw(socket: Duplex, status: number, text: string): void {
  refuseUpgrade(socket, status, `${text}\n`);
}

function httpStatusOf(error: unknown): number {
  if (!(error instanceof BerthError)) return 500;
  const byCode: Partial<Record<string, number>> = { INVALID_ARGUMENT: 400, FAILED_PRECONDITION: 400, NOT_FOUND: 404, UNIMPLEMENTED: 501, UNAVAILABLE: 502 };
  return byCode[error.code] ?? 500;
}

export async function startKubeletServer(options: KubeletServerOptions): Promise<KubeletServer> {
  const { cri, logger, nodeName } = options;
  const pages = statsPages(cri, { nodeName, metrics: options.metrics, probeMetrics: options.probeMetrics, gpus: options.gpus, storage: options.storage });

  const route = async (request: ApiRequest, response: ApiResponse, url: URL): Promise<void> => {
    const path = url.pathname;
    const parts = path.split('/').filter((p) => p !== '');
    const allowed = allowedMethods(parts[0] ?? '');
    if (!allowed.includes(request.method ?? '')) {
      response.setHeader('allow', allowed.join(', '));
      reply(response, 405, `405 method ${request.method ?? ''} not allowed on ${path} (${allowed.join(' or ')})`);
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
      const target = parseLogTarget(path);
      const logOptions = parseLogOptions(url.searchParams, Date.now());
      // Found before the 200 goes out: a missing container or a refused file is an HTTP error.
      const log = await findContainerLog(cri, options.podLogsDir, target, logOptions.previous);
      const closed = new Promise<void>((resolve) => response.once('close', () => resolve()));
      // No length is known: HTTP/1.1 sends it chunked, HTTP/2 as data frames.
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      await streamContainerLog(cri, log, logOptions, response, closed);
      response.end();
      return;
    }
    if (parts[0] === 'run') {
      const output = await runInContainer(cri, parseRunRequest(url));
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(output);
      return;
    }
    if (streamingPaths.has(parts[0] ?? '')) {
      parseStreamRequest(url);
      return reply(response, 400, `Upgrade request required: ${parts[0] ?? ''} streams over an upgraded connection (SPDY/3.1 or WebSocket)`);
    }
    reply(response, 404, `404 page not found: ${path}`);
  };

  const tooLong = (request: ApiRequest): { status: number; text: string } | undefined => {
    const length = Buffer.byteLength(request.url ?? '');
    return length > maxUrlBytes ? { status: 414, text: `URI Too Long: ${length} bytes, at most ${maxUrlBytes}` } : undefined;
  };

  /** Who may do what: undefined when the caller may go on, else the refusal to answer. */
  const refusal = async (request: ApiRequest, url: URL): Promise<{ status: number; text: string } | undefined> => {
    const who = await authenticate(request, options.reviews, options.clientCaFile !== undefined);
    if ('failure' in who) return { status: 401, text: `Unauthorized: ${who.failure}` };
    const attributes = accessAttributes(request.method ?? 'GET', url.pathname, nodeName);
    const decision = await options.reviews.reviewAccess({ user: who.user, ...attributes });
    if (decision.allowed) return undefined;
    return {
      status: 403,
      text: `Forbidden (user=${who.user.username}, verb=${attributes.verb}, resource=nodes, subresource=${attributes.subresource})${decision.reason ? `: ${decision.reason}` : ''}`,
    };
  };

  const clientCa = options.clientCaFile ? readFileSync(options.clientCaFile) : undefined;
  const server = createSecureServer(
    {
      allowHTTP1: true,
      cert: readFileSync(options.cert.certFile),
      key: readFileSync(options.cert.keyFile),
      // The client CA replaces Node's public root store; without one no certificate is asked for.
      ...(clientCa ? { ca: clientCa, requestCert: true } : { requestCert: false }),
      // Unverified certificates are not refused at the handshake: the request then needs a token.
      rejectUnauthorized: false,
      // The same bound on an HTTP/2 request's header list (the HTTP/1.1 parser's is set below).
      settings: { maxHeaderListSize: maxHeadBytes },
    },
    (request, response) => {
      const url = new URL(request.url ?? '/', 'https://kubelet');
      void (async () => {
        const refused = tooLong(request) ?? (await refusal(request, url));
        if (refused) return reply(response, refused.status, refused.text);
        await route(request, response, url);
      })().catch((error: unknown) => {
        const status = httpStatusOf(error);
        if (status >= 500) logger.warn({ path: url.pathname }, `kubelet API: ${errorMessage(error)}`);
        if (response.headersSent) response.end();
        else reply(response, status, errorMessage(error));
      });
    },
  );

  // Node's HTTP/1.1 fallback of an HTTP/2 server takes the parser's bound from this property, not
  // from the options (without it the head would be capped at Node's 16 KiB default).
  Object.assign(server, { maxHeaderSize: maxHeadBytes });

  // A head past maxHeadBytes or one that does not parse never reaches a handler: say so, then close.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    if (error.code === 'HPE_HEADER_OVERFLOW') replyRaw(socket, 431, `request line and headers exceed ${maxHeadBytes} bytes`);
    else replyRaw(socket, 400, `malformed HTTP request: ${error.code ?? error.message}`);
  });

  // Upgraded connections leave the server's bookkeeping, so closing the server must end them here.
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'https://kubelet');
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    socket.on('error', () => socket.destroy());
    void (async () => {
      const refused = tooLong(request) ?? (await refusal(request, url));
      if (refused) return replyRaw(socket, refused.status, refused.text);
      const stream = parseStreamRequest(url);
      if (!stream) return replyRaw(socket, 404, `${url.pathname} cannot be upgraded: only exec, attach and portForward stream`);
      const target = await streamingUrl(cri, stream);
      logger.debug({ kind: stream.kind, pod: `${stream.namespace}/${stream.pod}` }, 'kubelet API: proxying a stream to the runtime');
      await proxyUpgrade(request, socket, head, target);
    })().catch((error: unknown) => {
      const status = httpStatusOf(error);
      if (status >= 500) logger.warn({ path: url.pathname }, `kubelet API stream: ${errorMessage(error)}`);
      if (!socket.destroyed) replyRaw(socket, status, errorMessage(error));
    });
  });

  // An HTTP/2 server has no closeAllConnections: followed logs and idle sessions would hold close open.
  const connections = new Set<Duplex>();
  server.on('secureConnection', (socket: Duplex) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });

  const address = await listenOn(server, options.listen);
  logger.info({ address }, 'kubelet API serving (HTTPS)');
  return {
    address,
    // The whole secure context is replaced, so the client CA goes with the new pair.
    useCertificate: (pem) => server.setSecureContext({ cert: pem.certPem, key: pem.keyPem, ...(clientCa ? { ca: clientCa } : {}) }),
    close: async () => {
      for (const socket of upgraded) socket.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of connections) socket.destroy();
      await closed;
    },
  };
}
