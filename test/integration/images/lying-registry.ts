// A loopback HTTP front for a real docker-registry that answers chosen manifest paths itself.
// docker-registry 2.8 neither stores nor serves a manifest over 4 MiB, and content addressing
// keeps it from serving an index under any digest but its own: what a hostile or broken registry
// does anyway has to be played by this front. Every other request goes to the real registry.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

export interface ForgedResponse {
  mediaType: string;
  body: Buffer;
  /** Send the body chunked, without a Content-Length (the client must count as it reads). */
  chunked?: boolean;
}

export interface LyingRegistry {
  host: string;
  /** Answers GET /v2/<repository>/manifests/<reference> with `response` from now on. */
  forge(repository: string, reference: string, response: ForgedResponse): void;
  stop(): Promise<void>;
}

const forwardedHeaders = ['content-type', 'content-length', 'content-range', 'docker-content-digest', 'location', 'www-authenticate'];

export async function startLyingRegistry(upstreamUrl: string): Promise<LyingRegistry> {
  const forged = new Map<string, ForgedResponse>();
  const answer = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://front').pathname;
    const own = forged.get(path);
    if (own) {
      const headers: Record<string, string | number> = { 'content-type': own.mediaType };
      if (!own.chunked) headers['content-length'] = own.body.length;
      response.writeHead(200, headers);
      // Chunked: in pieces, so the client sees a stream, not one buffer.
      for (let offset = 0; offset < own.body.length; offset += 256 * 1024) {
        if (!response.write(own.body.subarray(offset, offset + 256 * 1024))) await new Promise((resolve) => response.once('drain', resolve));
        if (response.destroyed) return;
      }
      response.end();
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of ['accept', 'range', 'authorization']) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const upstream = await fetch(`${upstreamUrl}${request.url ?? '/'}`, { method: request.method ?? 'GET', headers, redirect: 'manual' });
    const sent: Record<string, string> = {};
    for (const name of forwardedHeaders) {
      const value = upstream.headers.get(name);
      if (value !== null) sent[name] = value;
    }
    response.writeHead(upstream.status, sent);
    if (upstream.body) Readable.fromWeb(upstream.body as WebReadableStream<Uint8Array>).pipe(response);
    else response.end();
  };
  const server = createServer((request, response) => {
    answer(request, response).catch(() => response.destroy());
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    forge: (repository, reference, response) => forged.set(`/v2/${repository}/manifests/${reference}`, response),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
