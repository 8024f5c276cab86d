// The kubelet's side and berth's side of one call over a real gRPC connection (a unix socket in a
// temp dir, handlers that only wait on their signal): the client's deadline and a cancelled pull
// reach the handler as an aborted signal with the reason the CRI answer then carries.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abortedError } from '../../../common/abort.js';
import { CancelledError, DeadlineExceededError } from '../../../common/errors.js';
import { silentLogger } from '../../../common/logger.js';
import { CriClient } from '../../../cri/client/cri-client.js';
import { serveCri, type CriServer } from '../../../cri/server/server.js';

let dir: string;
let server: CriServer;
/** The reason each handler's signal aborted with, by RPC. */
const seen = new Map<string, unknown>();

/** A handler that never answers by itself: it ends when its call's signal aborts. */
function waitsForItsSignal(method: string) {
  return (_request: unknown, signal: AbortSignal): Promise<never> =>
    new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => {
        seen.set(method, signal.reason);
        reject(abortedError(signal, `${method} was stopped`));
      });
    });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-call-cancel-'));
  server = await serveCri({
    socketPath: join(dir, 'cri.sock'),
    handlers: { runtime: { RunPodSandbox: waitsForItsSignal('RunPodSandbox') }, image: { PullImage: waitsForItsSignal('PullImage') } },
    logger: silentLogger(),
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a CRI call cut short, over a real gRPC connection', () => {
  it("reaches the handler as a DeadlineExceeded abort when the client's per-call deadline passes", async () => {
    const client = new CriClient({ endpoint: server.socketPath, timeoutMs: 200 });
    try {
      await expect(client.runPodSandbox({ metadata: { name: 'p', namespace: 'd', uid: 'u', attempt: 0 } })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    } finally {
      client.close();
    }
    await expect.poll(() => seen.get('RunPodSandbox')).toBeInstanceOf(DeadlineExceededError);
  });

  it('cancels a pull, which has no deadline, when its signal aborts, and the handler sees Cancelled', async () => {
    const client = new CriClient({ endpoint: server.socketPath, timeoutMs: 200 });
    const abort = new AbortController();
    try {
      const pull = client.pullImage('registry.test/big:1', undefined, undefined, { signal: abort.signal });
      // Past the per-call deadline: a pull is not bound by it.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(seen.has('PullImage')).toBe(false);
      abort.abort();
      await expect(pull).rejects.toMatchObject({ code: 'CANCELLED' });
    } finally {
      client.close();
    }
    await expect.poll(() => seen.get('PullImage')).toBeInstanceOf(CancelledError);
  });
});
