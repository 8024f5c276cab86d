// berth runtime serves the CRI on its socket; the real crictl drives it.
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerth, type Berth } from '../../harness/berth.js';

let berth: Berth;

beforeAll(async () => {
  berth = await startBerth();
});

afterAll(async () => {
  await berth?.stop();
});

describe('CRI server', () => {
  it('answers crictl version with berth and the v1 CRI', async () => {
    const output = await berth.crictl('version');
    expect(output).toMatch(/RuntimeName:\s+berth/);
    expect(output).toMatch(/RuntimeApiVersion:\s+v1/);
  });

  it('reports runtime and network conditions through crictl info', async () => {
    const info = JSON.parse(await berth.crictl('info')) as { status: { conditions: { type: string; status: boolean }[] } };
    const types = info.status.conditions.map((c) => c.type);
    expect(types).toEqual(['RuntimeReady', 'NetworkReady']);
    expect(info.status.conditions[0]?.status).toBe(true);
  });

  it('answers imagefsinfo, which crictl and critest call first', async () => {
    const info = JSON.parse(await berth.crictl('imagefsinfo')) as { status: { imageFilesystems: { fsId: { mountpoint: string } }[] } };
    // The filesystem is named by its mount point, which the kubelet and cAdvisor look capacity up by.
    const mountpoint = (await execa('findmnt', ['-n', '-o', 'TARGET', '--target', berth.rootDir])).stdout.trim();
    expect(info.status.imageFilesystems[0]?.fsId.mountpoint).toBe(mountpoint);
  });

  it('answers an RPC it does not implement with Unimplemented and the RPC name', async () => {
    const result = await berth.crictlResult('checkpoint', '--export=/tmp/berth-checkpoint.tar', 'nonexistent');
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/Unimplemented|berth does not implement CheckpointContainer/);
  });

  it('runs side by side with a second instance on its own socket and dirs', async () => {
    const second = await startBerth();
    try {
      expect(second.socket).not.toBe(berth.socket);
      expect(await second.crictl('version')).toMatch(/RuntimeName:\s+berth/);
      expect(await berth.crictl('version')).toMatch(/RuntimeName:\s+berth/);
    } finally {
      await second.stop();
    }
  });
});
