// The worker thread that forks berth's programs (common/spawn-worker.ts), on the paths a pod
// start rarely takes: a request spawn() refuses, a kill while a runaway keeps the output open,
// and the thread itself dying with programs running.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runChild } from '../../../common/child-process.js';
import { CancelledError, InternalError } from '../../../common/errors.js';
import { SpawnWorker } from '../../../common/spawn-worker.js';

let dir: string;
const leftovers: number[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-spawn-worker-'));
});
afterEach(() => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Alive and not a zombie. */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** Waits until `pid` is gone; false if it is still there after a generous while. */
async function gone(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 300 && (await running(pid)); attempt++) await sleep(10);
  return !(await running(pid));
}

/** The pid a shell wrote to `file`, once written (the shell writes elsewhere and renames). */
async function pidIn(file: string): Promise<number> {
  for (let attempt = 0; attempt < 500 && !existsSync(file); attempt++) await sleep(10);
  const pid = Number((await readFile(file, 'utf8')).trim());
  leftovers.push(pid);
  return pid;
}

const request = (args: string[]) => ({ file: 'sh', args, timeoutMs: 60_000, maxOutputBytes: 1024 });

describe("berth's process-starting thread", () => {
  it('answers a request spawn() refuses with that error, and the programs already running go on', async () => {
    const go = join(dir, 'go');
    const waiting = runChild('sh', ['-c', `while [ ! -e ${go} ]; do sleep 0.01; done; echo finished`], {}, { timeoutMs: 60_000, what: 'waiting' });
    const refused = await runChild('echo', ['a\0b'], {}, { timeoutMs: 60_000, what: 'nul' });
    expect(refused.exitCode).toBeUndefined();
    expect(refused.spawnError?.message).toMatch(/null bytes/);
    writeFileSync(go, '');
    expect(await waiting).toMatchObject({ stdout: 'finished\n', exitCode: 0 });
  });

  it('stops waiting for the output of a killed program when a process that left its group holds it open', async () => {
    const pidFile = join(dir, 'escaped.pid');
    // The setsid'ed sleep is out of the process group the kill reaches, and it keeps stdout.
    const script = `setsid sh -c 'echo $$ > ${pidFile}.tmp; mv ${pidFile}.tmp ${pidFile}; exec sleep 60' & while [ ! -e ${pidFile} ]; do sleep 0.01; done; sleep 60`;
    const abort = new AbortController();
    const run = runChild('sh', ['-c', script], {}, { signal: abort.signal, timeoutMs: 120_000, what: 'runaway' });
    const escaped = await pidIn(pidFile);
    abort.abort(new CancelledError('the client went away'));
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    // It really escaped the kill: the answer did not wait for it.
    expect(await running(escaped)).toBe(true);
  });

  it.each([0, -1, 1.5, Number.POSITIVE_INFINITY, Number.NaN, 2 ** 31])('refuses to run a program under a timeout of %s ms, which a timer cannot hold', async (timeoutMs) => {
    await expect(runChild('true', [], {}, { timeoutMs, what: 'true' })).rejects.toThrow(/true: timeout .* is not a whole number of milliseconds/);
  });

  it('kills the programs of a thread that dies and tells their callers, and the next program gets a new thread', async () => {
    const worker = new SpawnWorker();
    const pidFile = join(dir, 'child.pid');
    const run = worker.run(request(['-c', `echo $$ > ${pidFile}.tmp; mv ${pidFile}.tmp ${pidFile}; exec sleep 60`]), undefined);
    const child = await pidIn(pidFile);
    await worker.terminate();
    await expect(run).rejects.toBeInstanceOf(InternalError);
    await expect(run).rejects.toThrow(/were killed/);
    expect(await gone(child)).toBe(true);
    expect(await worker.run(request(['-c', 'echo again']), undefined)).toMatchObject({ stdout: 'again\n', exitCode: 0 });
    await worker.terminate();
  });
});
