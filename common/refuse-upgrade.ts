// Refusing an HTTP request on a connection that asked to upgrade, where no ServerResponse exists
// and the answer is written to the socket by hand. Shared by the CRI streaming server and the
// kubelet API server, which both serve upgrades.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** How long a refused connection waits for the client to close its side before it is cut off. */
const refusalLingerMs = 5_000;

/**
 * Answers with `status` and `body`, then closes the connection. The answer says `Connection:
 * close` (RFC 9112 9.6): an HTTP/1.1 answer without it lets the client keep the connection for its
 * next request (Node's keep-alive agent, Go's transport do), which then meets the end sent here and
 * fails with "socket hang up" instead of reaching the server. The socket is then read to its end
 * rather than destroyed: closing it with unread bytes makes the kernel answer with a reset, which
 * can discard the answer before the client has read it, and a socket never read would stay
 * half-open for good.
 */
export function refuseUpgrade(socket: Duplex, status: number, body: string, headers: Record<string, string> = {}): void {
  const extra = Object.entries({ 'Content-Type': 'text/plain; charset=utf-8', ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`);
  const timed = socket as Duplex & { setTimeout?: (ms: number, onTimeout: () => void) => unknown };
  timed.setTimeout?.(refusalLingerMs, () => socket.destroy());
  socket.resume();
}
