// Opens a WebSocket to a streaming URL (what Exec and Attach answer) the way client-go's
// WebSocket executor does: an HTTP/1.1 upgrade offering the channel protocols, the server's
// Sec-WebSocket-Accept checked against the key sent. A refusal comes back with the server's own
// words (a used token, an unknown container), not as a bare status.
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { acceptKey } from '../../common/websocket/frames.js';

export interface DialedWebSocket {
  socket: Socket;
  protocol: string;
  /** Bytes that came after the 101 answer: the first frames. */
  head: Buffer;
}

export class WebSocketDialError extends Error {}

const dialTimeoutMs = 30_000;
const maxRefusalBytes = 4096;

async function refusalText(response: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of response) {
    text += String(chunk);
    if (text.length > maxRefusalBytes) break;
  }
  return text.trim().slice(0, maxRefusalBytes);
}

/** The TLS client side of an https dial: the CA to trust, and a client certificate to present. */
export interface DialTls {
  ca?: Buffer | string;
  cert?: Buffer | string;
  key?: Buffer | string;
}

export function dialWebSocket(url: string, protocols: readonly string[], tls: DialTls = {}): Promise<DialedWebSocket> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return Promise.reject(new WebSocketDialError(`cannot stream from ${url}: only http and https streaming URLs are known`));
  }
  const key = randomBytes(16).toString('base64');
  const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, {
    ...tls,
    method: 'GET',
    // A connection of its own: an upgraded one never goes back to a pool, and one drawn from the
    // keep-alive pool may be one the server has just closed (after refusing an earlier upgrade),
    // which fails the dial with "socket hang up" before the request reaches the server.
    agent: false,
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Protocol': protocols.join(', '),
    },
    timeout: dialTimeoutMs,
  });
  return new Promise((resolve, reject) => {
    request.on('upgrade', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      const protocol = String(response.headers['sec-websocket-protocol'] ?? '');
      if (response.headers['sec-websocket-accept'] !== acceptKey(key)) {
        socket.destroy();
        reject(new WebSocketDialError(`${target.host} answered the WebSocket upgrade with a wrong Sec-WebSocket-Accept`));
      } else if (!protocols.includes(protocol)) {
        socket.destroy();
        reject(new WebSocketDialError(`${target.host} chose the protocol "${protocol}", which was not offered (${protocols.join(', ')})`));
      } else {
        socket.setTimeout(0);
        resolve({ socket, protocol, head });
      }
    });
    request.on('response', (response: IncomingMessage) => {
      refusalText(response).then(
        (text) => reject(new WebSocketDialError(`the streaming server refused (${response.statusCode}): ${text || response.statusMessage}`)),
        (error: unknown) => reject(error as Error),
      );
    });
    request.on('timeout', () => request.destroy(new WebSocketDialError(`no answer from ${target.host} within ${dialTimeoutMs / 1000} s`)));
    request.on('error', (error) => reject(error instanceof WebSocketDialError ? error : new WebSocketDialError(`cannot reach the streaming server at ${target.host}: ${error.message}`)));
    request.end();
  });
}
