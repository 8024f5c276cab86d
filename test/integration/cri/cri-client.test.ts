// berth's own CRI client against berth's server over the socket: codes and messages survive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriCallError, CriClient } from '../../../cri/client/cri-client.js';
import { startBerth, type Berth } from '../../harness/berth.js';

let berth: Berth;
let client: CriClient;

beforeAll(async () => {
  berth = await startBerth();
  client = new CriClient({ endpoint: berth.socket, timeoutMs: 10_000 });
});

afterAll(async () => {
  client?.close();
  await berth?.stop();
});

describe('CRI client', () => {
  it('reads the version', async () => {
    expect(await client.version()).toMatchObject({ runtimeName: 'berth', runtimeApiVersion: 'v1' });
  });

  it('turns a gRPC NotFound into a typed error with the server message', async () => {
    const error = await client.containerStatus('f'.repeat(64)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CriCallError);
    expect(error).toMatchObject({ code: 'NOT_FOUND' });
    expect((error as Error).message).toMatch(/ContainerStatus: container f+ not found/);
  });

  it('turns a gRPC InvalidArgument into a typed error', async () => {
    const error = await client.runPodSandbox({ metadata: { name: 'x' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((error as Error).message).toMatch(/needs name, namespace and uid/);
  });
});
