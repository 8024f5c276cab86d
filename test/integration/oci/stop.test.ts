// Stop semantics against real runc + conmon: signal, grace period, SIGKILL, idempotence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOciWorld, type OciWorld } from './oci-fixture.js';

let world: OciWorld;

beforeAll(async () => {
  world = await createOciWorld();
});

afterAll(async () => {
  await world?.cleanup();
});

async function running(script: string): Promise<string> {
  const { id, bundleDir, logPath } = await world.bundle(script);
  await world.monitor.create({ id, bundleDir, logPath, terminal: false, stdin: false });
  await world.monitor.start(id);
  return id;
}

describe('stopping containers (real runc + conmon)', () => {
  it('SIGKILLs a container that ignores SIGTERM once the timeout has passed', async () => {
    const id = await running("trap '' TERM; sleep 1000");

    expect(await world.monitor.stopContainer(id, 1, 'SIGTERM')).toBe('killed');
    expect((await world.monitor.exitStatus(id))?.exitCode).toBe(137);
  });

  it('lets a container that handles the stop signal exit with its own code', async () => {
    const id = await running("trap 'exit 3' TERM; while true; do sleep 0.1; done");

    expect(await world.monitor.stopContainer(id, 30, 'SIGTERM')).toBe('exited-after-signal');
    expect((await world.monitor.exitStatus(id))?.exitCode).toBe(3);
  });

  it('sends the image stop signal instead of SIGTERM', async () => {
    const id = await running("trap 'exit 4' USR1; trap '' TERM; while true; do sleep 0.1; done");

    expect(await world.monitor.stopContainer(id, 30, 'SIGUSR1')).toBe('exited-after-signal');
    expect((await world.monitor.exitStatus(id))?.exitCode).toBe(4);
  });

  it('succeeds on a container that has already exited without signalling anything', async () => {
    const id = await running('exit 0');
    await world.monitor.stop(id, 1, 'SIGTERM');

    expect(await world.monitor.stopContainer(id, 1, 'SIGTERM')).toBe('already-exited');
    expect((await world.monitor.exitStatus(id))?.exitCode).toBe(0);
  });

  it('kills a created container that was never started', async () => {
    const { id, bundleDir, logPath } = await world.bundle('sleep 1000');
    await world.monitor.create({ id, bundleDir, logPath, terminal: false, stdin: false });

    expect(await world.monitor.stopContainer(id, 0, 'SIGKILL')).toBe('killed');
    expect(await world.monitor.exitStatus(id)).toBeDefined();
  });

  it('removes the runtime state and the monitor files on delete, twice without error', async () => {
    const id = await running('sleep 1000');

    await world.monitor.delete(id);
    await world.monitor.delete(id);
    expect((await world.runtime.list()).map((c) => c.id)).not.toContain(id);
    expect(await world.conmon.record(id)).toBeUndefined();
  });
});
