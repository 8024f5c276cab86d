import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { abortedError, cleanupSignal, throwIfAborted } from '../../../common/abort.js';
import { runChild } from '../../../common/child-process.js';
import { CancelledError, DeadlineExceededError } from '../../../common/errors.js';

/** Alive and not a zombie. */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** The pid a shell wrote to `file` (its background child's), once written. */
async function pidIn(file: string): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (pid > 0) return pid;
    await sleep(10);
  }
  throw new Error(`nothing wrote a pid to ${file}`);
}

describe('running a program for a request step', () => {
  it('returns the output and the exit code of a program that ends', async () => {
    const result = await runChild('sh', ['-c', 'cat; echo err >&2; exit 3'], { input: 'in' }, { timeoutMs: 5_000, what: 'sh' });
    expect(result).toMatchObject({ stdout: 'in', stderr: 'err\n', exitCode: 3, spawnError: undefined });
  });

  it('gives each of many programs run at once its own output and exit code', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => runChild('sh', ['-c', `echo out-${i}; exit ${i}`], {}, { timeoutMs: 30_000, what: `sh ${i}` })));
    expect(results.map((r) => [r.stdout, r.exitCode])).toEqual(Array.from({ length: 20 }, (_, i) => [`out-${i}\n`, i]));
  });

  it('says a program that cannot start could not start', async () => {
    const result = await runChild('/nonexistent/berth-test', [], {}, { timeoutMs: 5_000, what: 'missing' });
    expect(result.exitCode).toBeUndefined();
    expect(result.spawnError?.message).toMatch(/ENOENT/);
  });

  it('kills the program and every process it started when the caller aborts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-child-'));
    const pidFile = join(dir, 'grandchild.pid');
    const abort = new AbortController();
    const started = Date.now();
    // A shell that runs a background sleep and waits: a CNI plugin running its IPAM plugin.
    const run = runChild('sh', ['-c', `sleep 30 & echo $! > ${pidFile}; wait`], {}, { signal: abort.signal, timeoutMs: 60_000, what: 'slow plugin' });
    const grandchild = await pidIn(pidFile);
    abort.abort(new CancelledError('the client cancelled RunPodSandbox'));
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    await expect(run).rejects.toThrow(/slow plugin was killed/);
    expect(Date.now() - started).toBeLessThan(10_000);
    // SIGKILL to the process group: the background sleep goes with its shell.
    for (let attempt = 0; attempt < 100 && (await running(grandchild)); attempt++) await sleep(10);
    expect(await running(grandchild)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers DeadlineExceeded when the caller's deadline passes", async () => {
    const abort = new AbortController();
    const run = runChild('sleep', ['30'], {}, { signal: abort.signal, timeoutMs: 60_000, what: 'runc start' });
    setTimeout(() => abort.abort(new DeadlineExceededError("the client's deadline for StartContainer passed")), 50);
    await expect(run).rejects.toBeInstanceOf(DeadlineExceededError);
  });

  it("kills the program at its own timeout, whatever the caller's deadline", async () => {
    const started = Date.now();
    await expect(runChild('sleep', ['30'], {}, { timeoutMs: 100, what: 'mount' })).rejects.toThrow(/mount did not finish within 100 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('starts nothing when the signal has already aborted', async () => {
    const abort = new AbortController();
    abort.abort(new CancelledError('gone'));
    await expect(runChild('/nonexistent/never-run', [], {}, { signal: abort.signal, timeoutMs: 1_000, what: 'x' })).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('abort reasons', () => {
  it('turns a deadline into DeadlineExceeded and anything else into Cancelled', () => {
    const deadline = new AbortController();
    deadline.abort(new DeadlineExceededError('deadline passed'));
    expect(abortedError(deadline.signal, 'RunPodSandbox')).toBeInstanceOf(DeadlineExceededError);
    const cancelled = new AbortController();
    cancelled.abort();
    expect(abortedError(cancelled.signal, 'RunPodSandbox')).toBeInstanceOf(CancelledError);
    expect(() => throwIfAborted(cancelled.signal, 'step')).toThrow(CancelledError);
    expect(() => throwIfAborted(undefined, 'step')).not.toThrow();
  });

  it('gives cleanup a signal of its own that has not aborted', () => {
    expect(cleanupSignal().aborted).toBe(false);
  });
});
