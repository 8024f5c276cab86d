// The runc adapter's commands and error mapping against the real runc.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroupMode } from '../../../runtime/oci/cgroup-mode.js';
import { createOciWorld, type OciWorld } from './oci-fixture.js';

let world: OciWorld;
const cgroupMode = await detectCgroupMode();

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

describe('OciRuntime over the real runc', () => {
  it('lists nothing for a fresh root', async () => {
    expect(await world.runtime.list()).toEqual([]);
  });

  it('maps "container does not exist" to NOT_FOUND with the id and runc message', async () => {
    await expect(world.runtime.state('berth-oci-nope')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'runc state of container berth-oci-nope failed: container does not exist',
    });
  });

  it('maps starting a running container to FAILED_PRECONDITION', async () => {
    const id = await running('sleep 1000');
    await expect(world.runtime.start(id)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });

  it('lists a running container with its pid', async () => {
    const id = await running('sleep 1000');
    const listed = (await world.runtime.list()).find((c) => c.id === id);
    expect(listed).toMatchObject({ status: 'running' });
    expect(listed?.pid).toBeGreaterThan(0);
  });

  it('pauses and resumes a container', async () => {
    const id = await running('sleep 1000');
    await world.runtime.pause(id);
    expect((await world.runtime.state(id)).status).toBe('paused');
    await world.runtime.resume(id);
    expect((await world.runtime.state(id)).status).toBe('running');
  });

  // The path read below is the v1 pids hierarchy; a pure v2 host keeps pids.max elsewhere.
  it.skipIf(cgroupMode === 'v2')('updates the pids limit of a running container', async () => {
    const id = await running('sleep 1000');
    await world.runtime.update(id, { pids: { limit: 42 } });

    // The container's pids cgroup as the host sees it, found through its init process.
    const { pid } = await world.runtime.state(id);
    const line = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n').find((l) => /^\d+:pids:/.test(l)) ?? '';
    const cgroupPath = line.slice(line.indexOf(':pids:') + ':pids:'.length);
    expect(cgroupPath).toContain(`berth-test/${id}`);
    expect((await readFile(`/sys/fs/cgroup/pids${cgroupPath}/pids.max`, 'utf8')).trim()).toBe('42');
  });

  it('kills the processes of a container with --all', async () => {
    const id = await running('sleep 1000 & sleep 1000');
    await world.runtime.kill(id, 'KILL', { all: true });
    const stopped = await world.monitor.stopContainer(id, 0, 'SIGKILL');
    expect(['already-exited', 'killed']).toContain(stopped);
    expect((await world.monitor.exitStatus(id))?.exitCode).toBe(137);
  });
});
