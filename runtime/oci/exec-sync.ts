// ExecSync: run a command in a running container and return its output and exit code.
//
// This runs `runc exec` (attached) as berth's own child instead of `conmon --exec`:
//  - the exit code is the child's own wait status (runc exec exits with the process's code,
//    128+n for signal n), not a number relayed through conmon's sync pipe and exit file;
//  - stdout and stderr arrive as two separate pipes, byte for byte, so the 16 MiB cap is
//    applied while reading; conmon would write them to a CRI log file to be parsed back, which
//    splits and timestamps lines and cannot tell a trailing partial line from a full one;
//  - the timeout is berth's timer: it SIGKILLs the exec'd process by the pid runc wrote to
//    --pid-file, and berth knows for certain that it was a timeout, not an exit code of -1
//    that could also mean "conmon could not tell".
// ExecSync is synchronous for its caller, so surviving a berth restart (conmon's reason to
// exist) buys nothing here.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { abortedError, type Abortable } from '../../common/abort.js';
import { DeadlineExceededError, InvalidArgumentError } from '../../common/errors.js';
import { CappedBuffer } from './capped-buffer.js';
import type { OciRuntime } from './oci-runtime.js';
import { runtimeError } from './runtime-errors.js';
import { signalNumber } from './signals.js';

/** The `process` object of an OCI spec, as far as exec needs to know it. */
export type OciProcess = { args?: string[]; terminal?: boolean } & Record<string, unknown>;

export const defaultExecOutputLimit = 16 * 1024 * 1024;
// After the process exits, output still in the pipes is read for this long; a background child
// that inherited the pipes must not hold ExecSync open for its whole life.
const drainAfterExitMs = 500;
// Node fires longer timers at once; a limit beyond ~24.8 days is no limit in practice.
const maxTimerMs = 2 ** 31 - 1;

/** `signal`: the caller's; an abort kills the exec'd process as its timeout does. */
export interface ExecSyncRequest extends Abortable {
  containerId: string;
  command: string[];
  /** Seconds; 0 means no limit (CRI). */
  timeoutSeconds: number;
  /** The container's own process (config.json): env, cwd, user, capabilities carry over. */
  baseProcess: OciProcess;
  /** A 0700 directory for the process spec, pid file and runtime log of this exec. */
  workDir: string;
  /** Per stream; output beyond it is dropped and flagged. */
  outputLimitBytes?: number;
}

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
}

/** Pure: the exec'd process: the container's process with `command` and no terminal. */
/**
 * An exec's process.json: scratch in a directory of its own that runc reads at once and that
 * goes when the exec ends, so no fsync (two per exec, on a disk-backed state dir 10+ ms).
 */
export async function writeProcessSpec(path: string, spec: OciProcess): Promise<void> {
  await writeFile(path, JSON.stringify(spec), { mode: 0o600, flag: 'wx' });
}

export function execProcessSpec(base: OciProcess, command: string[]): OciProcess {
  if (command.length === 0 || command[0] === '') throw new InvalidArgumentError('exec needs a command');
  const { consoleSize: _ignored, ...rest } = base;
  return { ...rest, args: [...command], terminal: false };
}

export async function execSync(runtime: Pick<OciRuntime, 'name' | 'exec'>, request: ExecSyncRequest): Promise<ExecSyncResult> {
  const spec = execProcessSpec(request.baseProcess, request.command);
  const dir = await mkdtemp(join(request.workDir, 'exec-'));
  try {
    const specPath = join(dir, 'process.json');
    const pidFile = join(dir, 'exec.pid');
    const logFile = join(dir, 'runtime.log');
    await writeProcessSpec(specPath, spec);

    const limit = request.outputLimitBytes ?? defaultExecOutputLimit;
    const stdout = new CappedBuffer(limit);
    const stderr = new CappedBuffer(limit);
    const child = runtime.exec(request.containerId, specPath, { pidFile, logFile });
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));

    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));

    let timedOut = false;
    const kill = (): void => void killExecProcess(pidFile, () => child.kill('SIGKILL'));
    const timer =
      request.timeoutSeconds > 0 && request.timeoutSeconds * 1000 <= maxTimerMs
        ? setTimeout(() => {
            timedOut = true;
            kill();
          }, request.timeoutSeconds * 1000)
        : undefined;
    const { signal } = request;
    if (signal?.aborted) kill();
    signal?.addEventListener('abort', kill, { once: true });
    let status: { code: number | null; signal: NodeJS.Signals | null };
    try {
      status = await exited;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
    }
    await Promise.race([closed, sleep(drainAfterExitMs)]);
    child.stdout?.destroy();
    child.stderr?.destroy();

    if (signal?.aborted && !timedOut) throw abortedError(signal, `command ${JSON.stringify(request.command)} in container ${request.containerId} was killed`);
    if (timedOut) {
      throw new DeadlineExceededError(`command ${JSON.stringify(request.command)} in container ${request.containerId} timed out after ${request.timeoutSeconds} s and was killed`);
    }
    const runtimeErrors = await readRuntimeErrors(logFile);
    if (runtimeErrors !== '') {
      throw runtimeError({ runtime: runtime.name, operation: 'exec', containerId: request.containerId, stderr: runtimeErrors, exitCode: status.code ?? undefined });
    }
    const exitCode = status.code ?? (status.signal ? 128 + signalNumber(status.signal) : 255);
    return {
      stdout: stdout.bytes(),
      stderr: stderr.bytes(),
      exitCode,
      stdoutTruncated: stdout.truncated,
      stderrTruncated: stderr.truncated,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** SIGKILLs the exec'd process; before runc has written its pid, runc itself. */
export async function killExecProcess(pidFile: string, killRuntime: () => void): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) {
    killRuntime();
    return;
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone: runc exec is exiting on its own
  }
}

/**
 * Kills the exec'd process (by `pidFile`) when `signal` aborts, until `exited` settles: after
 * that the pid may belong to another process, and the listener goes.
 */
export function killOnAbort(signal: AbortSignal | undefined, pidFile: string, killRuntime: () => void, exited: Promise<unknown>): void {
  if (!signal) return;
  const kill = (): void => void killExecProcess(pidFile, killRuntime);
  if (signal.aborted) kill();
  else signal.addEventListener('abort', kill, { once: true });
  void exited.finally(() => signal.removeEventListener('abort', kill)).catch(() => undefined);
}

/** The runtime's error-level log lines (JSON), which say why exec itself failed. */
async function readRuntimeErrors(logFile: string): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => /"level":\s*"(error|fatal)"/.test(line))
    .join('\n');
}
