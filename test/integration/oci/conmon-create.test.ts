// conmon + runc for real: create under conmon, start, logs, exit files, surviving berth.
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCriLog } from '../../../runtime/oci/log-format.js';
import { removeTestCgroupParents } from '../../harness/cgroups.js';
import { pollUntil } from '../../../runtime/oci/poll-until.js';
import type { ContainerMonitor } from '../../../runtime/oci/container-monitor.js';
import { createOciWorld, type OciWorld } from './oci-fixture.js';

let world: OciWorld;

beforeAll(async () => {
  world = await createOciWorld();
});

afterAll(async () => {
  await world?.cleanup();
});

async function waitForExit(monitor: ContainerMonitor, id: string): Promise<void> {
  const exited = await pollUntil(async () => (await monitor.exitStatus(id)) !== undefined, { timeoutMs: 30_000 });
  if (!exited) throw new Error(`container ${id} did not exit`);
}

function parentPid(statText: string): number {
  // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may contain spaces, so cut at the last ")".
  return Number(statText.slice(statText.lastIndexOf(')') + 2).split(' ')[1]);
}

describe('conmon with runc (real binaries)', () => {
  it('runs a created and started container to exit code 0 with stdout, stderr and a partial line in its CRI log', async () => {
    const { id, bundleDir, logPath } = await world.bundle('echo one; echo two >&2; printf tail');
    await mkdir(dirname(logPath), { recursive: true });

    const created = await world.monitor.createContainer({ id, bundleDir, logPath, terminal: false, stdin: false });
    expect(created.pid).toBeGreaterThan(0);
    expect((await world.runtime.state(id)).status).toBe('created');
    await world.monitor.start(id);
    await waitForExit(world.monitor, id);

    expect((await world.monitor.exitStatus(id))?.exitCode).toBe(0);
    const log = parseCriLog(await readFile(logPath, 'utf8'));
    expect(log.malformed).toEqual([]);
    expect(log.entries.filter((e) => e.stream === 'stdout').map((e) => e.message)).toEqual(['one']);
    expect(log.entries.filter((e) => e.stream === 'stderr').map((e) => e.message)).toEqual(['two']);
    // "tail" had no newline: conmon writes it as a P line that nothing completed.
    expect(log.pending).toEqual([expect.objectContaining({ stream: 'stdout', message: 'tail' })]);
  });

  it('keeps a container running after the adapter that created it is gone, and a new adapter finds it and records SIGKILL as 137', async () => {
    const { id, bundleDir, logPath } = await world.bundle('sleep 1000');
    const created = await world.monitor.createContainer({ id, bundleDir, logPath, terminal: false, stdin: false });
    await world.monitor.start(id);

    // conmon double-forked away: its parent is not this process.
    expect(parentPid(await readFile(`/proc/${created.conmonPid}/stat`, 'utf8'))).not.toBe(process.pid);

    const restarted = world.newAdapters();
    const state = await restarted.runtime.state(id);
    expect(state).toMatchObject({ id, status: 'running', pid: created.pid });
    expect(await restarted.conmon.isRunning(id)).toBe(true);
    expect(await restarted.monitor.exitStatus(id)).toBeUndefined();

    await restarted.runtime.kill(id, 'SIGKILL');
    await waitForExit(restarted.monitor, id);
    expect((await restarted.monitor.exitStatus(id))?.exitCode).toBe(137);
    expect((await readFile(`${world.work}/exits/${id}`, 'utf8')).trim()).toBe('137');
  });

  it('reports the exit file mtime as the finished time', async () => {
    const { id, bundleDir, logPath } = await world.bundle('exit 3');
    await world.monitor.create({ id, bundleDir, logPath, terminal: false, stdin: false });
    await world.monitor.start(id);
    await waitForExit(world.monitor, id);

    const status = await world.monitor.exitStatus(id);
    const file = await stat(`${world.work}/exits/${id}`, { bigint: true });
    expect(status).toEqual({ exitCode: 3, finishedAt: file.mtimeNs.toString() });
  });

  it('fails create with the runtime message and leaves neither runtime state nor conmon files', async () => {
    const { id, bundleDir, logPath } = await world.bundle('unused');
    const configPath = `${bundleDir}/config.json`;
    const spec = JSON.parse(await readFile(configPath, 'utf8')) as { process: { args: string[] } };
    spec.process.args = ['/no/such/binary'];
    await writeFile(configPath, JSON.stringify(spec));

    await expect(world.monitor.create({ id, bundleDir, logPath, terminal: false, stdin: false })).rejects.toThrow(new RegExp(`create of container ${id} failed: .*no/such/binary`));
    expect((await world.runtime.list()).map((c) => c.id)).not.toContain(id);
    expect(await world.conmon.record(id)).toBeUndefined();
  });

  it('finds the exit of a container whose conmon was killed as unknown (255) with a message', async () => {
    const { id, bundleDir, logPath } = await world.bundle('sleep 1000');
    await world.monitor.create({ id, bundleDir, logPath, terminal: false, stdin: false });
    await world.monitor.start(id);
    await world.conmon.killConmon(id);
    await world.runtime.kill(id, 'SIGKILL');
    await pollUntil(async () => (await world.runtime.state(id)).status === 'stopped', { timeoutMs: 30_000 });

    const status = await world.monitor.exitStatus(id);
    expect(status).toMatchObject({ exitCode: 255, reason: 'Unknown' });
    expect(status?.message).toContain('no exit code');
  });

  it('an aborted create kills the runtime create conmon started, and leaves no container behind', async () => {
    const { id, bundleDir, logPath } = await world.bundle('sleep 1000');
    // A createRuntime hook holds `runc create` for as long as the hook runs; its odd duration
    // finds it among the machine's processes.
    const hookSeconds = `97.${Math.floor(Math.random() * 1e6)}`;
    const configPath = `${bundleDir}/config.json`;
    const spec = JSON.parse(await readFile(configPath, 'utf8')) as { hooks?: Record<string, unknown[]> };
    spec.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', hookSeconds] }] };
    await writeFile(configPath, JSON.stringify(spec));

    const abort = new AbortController();
    const created = world.monitor.create({ id, bundleDir, logPath, terminal: false, stdin: false }, { signal: abort.signal });
    created.catch(() => undefined);
    const hookRunning = await pollUntil(async () => (await processesNaming(hookSeconds)).length > 0, { timeoutMs: 30_000 });
    expect(hookRunning).toBe(true);
    abort.abort(new Error('caller went away'));
    await expect(created).rejects.toThrow(/conmon was killed|caller went away/);

    // Nothing of the create may go on after the call returned: no runc create, no runc init,
    // no hook, and no runc container that a late create would have left.
    const gone = await pollUntil(async () => (await processesNaming(hookSeconds)).length === 0 && (await processesNaming(id)).length === 0, { timeoutMs: 10_000 });
    expect({ hook: await processesNaming(hookSeconds), create: await processesNaming(id) }).toEqual({ hook: [], create: [] });
    expect(gone).toBe(true);
    expect((await world.runtime.list()).map((c) => c.id)).not.toContain(id);
    expect(await world.conmon.record(id)).toBeUndefined();
    // runc made the cgroup but died before its state: removing it is the caller's (berth's
    // container manager does), and it can, since no process is left in it.
    removeTestCgroupParents(`berth-test/${id}`);
  });
});

/** The command lines of the machine's processes that contain `text`, but not this test's own. */
async function processesNaming(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(`${entry}: ${cmdline.replaceAll('\0', ' ').trim()}`);
  }
  return found;
}
