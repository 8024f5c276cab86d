// Hands an upgraded connection (SPDY or WebSocket) from the API server over to the runtime's
// streaming server: the request is replayed to the runtime's single-use URL with the caller's
// upgrade headers (protocol versions included) but without its credentials, and from then on
// bytes flow both ways untouched, the runtime's 101 answer included. The kubelet never parses
// the stream protocol, so it works with any CRI runtime's streaming server.
import type { IncomingMessage } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import { InvalidArgumentError } from '../../common/errors.js';

// Hop-by-hop or caller-identifying headers that must not reach the runtime as they came.
const dropped = new Set(['host', 'authorization', 'proxy-authorization', 'cookie', 'content-length', 'transfer-encoding']);

/** Pure: the request head replayed to `target`. */
export function replayedRequestHead(method: string, rawHeaders: readonly string[], target: URL): string {
  const lines = [`${method} ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    if (!dropped.has(name.toLowerCase())) lines.push(`${name}: ${rawHeaders[i + 1] ?? ''}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function dial(target: URL): Socket {
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (target.protocol === 'http:') return connectTcp({ host, port });
  if (target.protocol === 'https:') return connectTls({ host, port, servername: host.includes(':') ? undefined : host });
  throw new InvalidArgumentError(`the runtime answered a streaming URL the kubelet cannot reach: ${target.href}`);
}

function connected(backend: Socket, target: URL): Promise<void> {
  const event = target.protocol === 'https:' ? 'secureConnect' : 'connect';
  return new Promise((resolve, reject) => {
    backend.once(event, () => {
      backend.off('error', reject);
      resolve();
    });
    backend.once('error', reject);
  });
}

/**
 * Connects `client` (already authorized) to `target` and returns once the bytes flow; a runtime
 * that cannot be reached is an error the caller can still answer on `client`.
 */
export async function proxyUpgrade(request: IncomingMessage, client: Duplex, head: Buffer, target: URL): Promise<void> {
  const backend = dial(target);
  await connected(backend, target);
  backend.setNoDelay(true);
  const teardown = (): void => {
    client.destroy();
    backend.destroy();
  };
  backend.once('error', teardown);
  client.once('error', teardown);
  // Ends travel through the pipes, so a caller done sending does not cut the answer short and
  // the runtime's last bytes are flushed before the caller's socket ends; a caller that goes
  // away takes the runtime's connection with it.
  client.once('close', () => backend.destroy());
  backend.write(replayedRequestHead(request.method ?? 'GET', request.rawHeaders, target));
  if (head.length > 0) backend.write(head);
  client.pipe(backend);
  backend.pipe(client);
}
