// RuntimeStatus and ImageFsInfo tell the truth, against a real berth (runc under conmon):
// RuntimeReady turns false with a reason when the OCI runtime stops answering or the state dir
// stops taking writes, and true again once they do; ImageFsInfo counts what the image store
// holds (growing by about an image's size on a pull), not the whole filesystem, and names the
// filesystem by its mount point. berth finds runc on PATH, so this file puts a runc of its own
// first on PATH: a wrapper that runs the real one, swapped for one that hangs.
import { execa } from 'execa';
import { chmodSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StatusResponse__Output } from '../../../api/cri/messages.js';
import { CriClient } from '../../../cri/client/cri-client.js';
import { berthFixture } from '../../harness/berth-fixture.js';

const bin = mkdtempSync(join(tmpdir(), 'berth-status-bin-'));
const realRunc = (await execa('sh', ['-c', 'command -v runc'])).stdout.trim();
const runc = join(bin, 'runc');

/** Replaces the runc berth runs, atomically (a half-written script must never run). */
function installRunc(script: string): void {
  const next = join(bin, '.runc.next');
  writeFileSync(next, `#!/bin/sh\n${script}\n`);
  chmodSync(next, 0o755);
  renameSync(next, runc);
}

installRunc(`exec ${realRunc} "$@"`);
const pathBefore = process.env['PATH'];
process.env['PATH'] = `${bin}:${pathBefore ?? ''}`;
// Registered before the fixture's hooks, so it runs after them (vitest runs after-hooks as a stack).
afterAll(() => {
  process.env['PATH'] = pathBefore;
  rmSync(bin, { recursive: true, force: true });
});

let client: CriClient;
const fixture = berthFixture('rtstatus', 155, async ({ berth }) => {
  client = new CriClient({ endpoint: berth.socket });
});

type RuntimeReady = { status: boolean; reason: string; message: string };

function runtimeReady(response: StatusResponse__Output): RuntimeReady {
  const condition = response.status?.conditions.find((c) => c.type === 'RuntimeReady');
  if (!condition) throw new Error(`Status has no RuntimeReady condition: ${JSON.stringify(response)}`);
  return { status: condition.status, reason: condition.reason, message: condition.message };
}

/** Polls Status until RuntimeReady is `wanted` (its answer is cached for a couple of seconds). */
async function untilRuntimeReady(wanted: boolean, timeoutMs = 20_000): Promise<RuntimeReady> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = runtimeReady(await client.status());
    if (ready.status === wanted || Date.now() > deadline) return ready;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('RuntimeStatus RuntimeReady', () => {
  it('is true while runc and conmon answer and the state dir takes writes', async () => {
    const response = await client.status();
    expect(runtimeReady(response)).toEqual({ status: true, reason: '', message: '' });
    expect(response.status?.conditions.map((c) => c.type)).toEqual(['RuntimeReady', 'NetworkReady']);
  });

  it('turns false with a reason when the OCI runtime stops answering, and true again when it answers', async () => {
    installRunc('exec sleep 60');
    try {
      const down = await untilRuntimeReady(false);
      expect(down.status).toBe(false);
      expect(down.reason).toBe('OCIRuntimeNotAnswering');
      expect(down.message).toContain(runc);
      expect(down.message).toMatch(/did not answer within 2000 ms/);
    } finally {
      installRunc(`exec ${realRunc} "$@"`);
    }
    expect(await untilRuntimeReady(true)).toEqual({ status: true, reason: '', message: '' });
  });

  it('turns false when the state dir is read-only, and true again once it is writable', async () => {
    const { stateDir } = fixture.berth;
    await execa('mount', ['--bind', stateDir, stateDir]);
    try {
      await execa('mount', ['-o', 'remount,bind,ro', stateDir]);
      const down = await untilRuntimeReady(false);
      expect(down).toMatchObject({ status: false, reason: 'StateDirNotWritable' });
      expect(down.message).toContain(stateDir);
      expect(down.message).toMatch(/read-only file system/i);
    } finally {
      await execa('umount', [stateDir]);
    }
    expect(await untilRuntimeReady(true)).toEqual({ status: true, reason: '', message: '' });
  });
});

describe('ImageFsInfo', () => {
  it("counts what the image store holds: up by about an image's size on a pull, far below the filesystem's use", async () => {
    const { berth, registry } = fixture;
    const image = `${registry}/busybox:latest`;
    const before = (await client.imageFsInfo()).imageFilesystems[0];
    await client.pullImage(image);
    const size = Number((await client.imageStatus(image)).image?.size ?? 0);
    expect(size).toBeGreaterThan(500_000);

    // The store is walked in the background and cached for a few seconds: poll for the new walk.
    let after = before;
    for (let deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      after = (await client.imageFsInfo()).imageFilesystems[0];
      if (Number(after?.usedBytes?.value) > Number(before?.usedBytes?.value)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const grown = Number(after?.usedBytes?.value) - Number(before?.usedBytes?.value);
    // The compressed blobs (the size CRI reports) plus the unpacked layers, in whole filesystem
    // blocks: measured here 13.2 MB for a 4.3 MB busybox image.
    expect(grown).toBeGreaterThanOrEqual(size);
    expect(grown).toBeLessThan(4 * size + 2 * 1024 * 1024);
    expect(Number(after?.inodesUsed?.value)).toBeGreaterThan(Number(before?.inodesUsed?.value));

    const fs = await statfs(berth.rootDir);
    const filesystemUsed = (fs.blocks - fs.bfree) * fs.bsize;
    expect(Number(after?.usedBytes?.value)).toBeLessThan(filesystemUsed / 20);
    const mountpoint = (await execa('findmnt', ['-n', '-o', 'TARGET', '--target', berth.rootDir])).stdout.trim();
    expect(after?.fsId?.mountpoint).toBe(mountpoint);
  });
});
