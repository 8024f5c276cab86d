// The streaming server's refusals of an upgrade (a used or unknown token, a protocol it does not
// speak) on loopback: each answer reaches the client whole, the connection it came on is never
// reused, and the server keeps no descriptor for it. No runtime is needed: a refusal never
// reaches one.
import { Agent, request } from 'node:http';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { dialWebSocket } from '../../../cri/client/websocket-dial.js';
import { channelProtocols } from '../../../common/websocket/channel-protocol.js';
import { StreamServer } from '../../../cri/streaming/stream-server.js';
import type { Runtime } from '../../../runtime/runtime.js';

let server: StreamServer;

beforeAll(async () => {
  server = await StreamServer.start({ address: '127.0.0.1', port: 0 }, {} as Runtime, silentLogger());
});

afterAll(async () => {
  await server?.close();
});

/** An upgrade request through `agent`: the status and body of the answer, or the request's error. */
function upgrade(agent: Agent, path: string, headers: Record<string, string>): Promise<{ status: number; connection: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.baseUrl}${path}`, { method: 'POST', agent, headers: { connection: 'Upgrade', ...headers } });
    req.on('upgrade', (_response, socket) => {
      socket.destroy();
      reject(new Error('upgraded where a refusal was expected'));
    });
    req.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, connection: String(response.headers.connection), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const spdy = { upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' };
const openDescriptors = (): number => readdirSync('/proc/self/fd').length;

describe('refused upgrades', () => {
  it('closes the connection it refused, so that a keep-alive client sends its next request on a new one', async () => {
    // Back to back on one keep-alive connection: the second request used to go out on the
    // connection the server had just ended, and failed with "socket hang up".
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 5; i++) {
        const answer = await upgrade(agent, `/exec/unknown-${i}`, spdy);
        expect(answer).toEqual({ status: 404, connection: 'close', body: 'unknown or expired streaming token: ask the runtime for a new URL\n' });
      }
      expect(Object.keys(agent.freeSockets)).toEqual([]);
    } finally {
      agent.destroy();
    }
  });

  it("gives berth's WebSocket client the server's reason each time, however quickly they follow each other", async () => {
    for (let i = 0; i < 5; i++) {
      await expect(dialWebSocket(`${server.baseUrl}/attach/unknown-${i}`, channelProtocols)).rejects.toThrow(
        'the streaming server refused (404): unknown or expired streaming token: ask the runtime for a new URL',
      );
    }
  });

  it('answers a client that sent more after its request in full, and keeps no descriptor once it has gone', async () => {
    // Bytes the server never reads (frames sent ahead of the 101) used to hold the refused
    // connection half-open for good: the client's end was never read.
    const before = openDescriptors();
    const answers = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const socket = connect(Number(new URL(server.baseUrl).port), '127.0.0.1');
        const request = `GET /exec/unknown-${i} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`;
        socket.end(Buffer.concat([Buffer.from(request), Buffer.alloc(64 * 1024, 0x82)]));
        const chunks: Buffer[] = [];
        for await (const chunk of socket) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks).toString('utf8');
      }),
    );
    for (const answer of answers) {
      expect(answer).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
      expect(answer).toMatch(/\r\n\r\nunknown or expired streaming token: ask the runtime for a new URL\n$/);
    }
    for (let i = 0; i < 50 && openDescriptors() > before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(openDescriptors()).toBeLessThanOrEqual(before);
  });
});
