// ReopenContainerLog against a real conmon: rotate by rename, reopen, new lines land in a new file.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCriLog } from '../../../runtime/oci/log-format.js';
import { pollUntil } from '../../../runtime/oci/poll-until.js';
import { createOciWorld, type OciWorld } from './oci-fixture.js';

let world: OciWorld;

beforeAll(async () => {
  world = await createOciWorld();
});

afterAll(async () => {
  await world?.cleanup();
});

async function lines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return parseCriLog(text).entries.map((e) => e.message);
}

describe('log reopen through conmon (real binaries)', () => {
  it('creates a new log file before returning, and the next lines go to it', async () => {
    const { id, bundleDir, logPath } = await world.bundle('i=0; while true; do echo line$i; i=$((i+1)); sleep 0.05; done');
    await mkdir(dirname(logPath), { recursive: true });
    await world.monitor.create({ id, bundleDir, logPath, terminal: false, stdin: false });
    await world.monitor.start(id);
    expect(await pollUntil(async () => (await lines(logPath)).length > 0, { timeoutMs: 30_000 })).toBe(true);

    await rename(logPath, `${logPath}.1`);
    await world.monitor.reopenLog(id);
    expect(existsSync(logPath)).toBe(true);

    expect(await pollUntil(async () => (await lines(logPath)).length > 0, { timeoutMs: 30_000 })).toBe(true);
    const rotated = await lines(`${logPath}.1`);
    const fresh = await lines(logPath);
    // The count continues across the two files: nothing is repeated in the new one.
    const lastRotated = Number(rotated[rotated.length - 1]?.replace('line', ''));
    const firstFresh = Number(fresh[0]?.replace('line', ''));
    expect(firstFresh).toBeGreaterThan(lastRotated);
  });

  it('refuses to reopen the log of a container whose conmon has exited', async () => {
    const { id, bundleDir, logPath } = await world.bundle('exit 0');
    await world.monitor.create({ id, bundleDir, logPath, terminal: false, stdin: false });
    await world.monitor.start(id);
    await pollUntil(async () => (await world.monitor.exitStatus(id)) !== undefined, { timeoutMs: 30_000 });
    await pollUntil(async () => !(await world.conmon.isRunning(id)), { timeoutMs: 30_000 });

    await expect(world.monitor.reopenLog(id)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });
});
