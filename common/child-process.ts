// Running an external program for one step of a request (runc, CNI plugins, mount, unshare, ...)
// with the two bounds every such step has: the caller's signal and the adapter's own timeout.
// Either one kills the child's whole process group with SIGKILL (a CNI plugin runs its IPAM
// plugin and iptables; a wrapper script runs the real binary: none of them may outlive the
// step), and the call rejects with DeadlineExceeded or Cancelled (abort.ts). Any other outcome,
// a non-zero exit included, is returned for the adapter to interpret: only it knows what the
// program's stderr means.
import { abortedError, type Abortable } from './abort.js';
import { DeadlineExceededError, InternalError } from './errors.js';
import { spawnOnWorker } from './spawn-worker.js';

export interface ChildLimits extends Abortable {
  /** The adapter's own bound for this program, whatever the caller's deadline is. */
  timeoutMs: number;
  /** What the step is, for the error: "CNI plugin bridge ADD for sandbox 3f2a…". */
  what: string;
}

export interface ChildOptions {
  /** Written to the child's stdin, which is then closed; absent: stdin is /dev/null. */
  input?: string;
  /** The child's whole environment; absent: berth's own. */
  env?: Record<string, string>;
  cwd?: string;
}

export interface ChildResult {
  stdout: string;
  stderr: string;
  /** undefined when the program could not be started (see `spawnError`) or died of a signal. */
  exitCode: number | undefined;
  /** Why the program did not start (ENOENT, EACCES); undefined when it ran. */
  spawnError: Error | undefined;
}

/** The longest timer Node keeps: a longer one fires after 1 ms instead (TimeoutOverflowWarning). */
const maxTimeoutMs = 2 ** 31 - 1;

/** Output kept per stream; past it the rest is dropped (an error message needs the start). */
const maxOutputBytes = 16 * 1024 * 1024;

/**
 * Runs `file` to its end, or kills it (and every process it started) on abort or timeout. The
 * fork happens on a worker thread (spawn-worker.ts), never blocking the event loop.
 */
export async function runChild(file: string, args: readonly string[], options: ChildOptions, limits: ChildLimits): Promise<ChildResult> {
  const { signal, timeoutMs, what } = limits;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > maxTimeoutMs) {
    throw new InternalError(`${what}: timeout ${timeoutMs} ms is not a whole number of milliseconds from 1 to ${maxTimeoutMs}`);
  }
  if (signal?.aborted) throw abortedError(signal, what);
  const outcome = await spawnOnWorker({ file, args: [...args], input: options.input, env: options.env, cwd: options.cwd, timeoutMs, maxOutputBytes }, signal);
  if (outcome.stopped === 'timeout') throw new DeadlineExceededError(`${what} did not finish within ${timeoutMs} ms; it was killed`);
  if (outcome.stopped === 'abort') throw abortedError(signal as AbortSignal, `${what} was killed`);
  const spawnError = outcome.spawnError ? Object.assign(new Error(outcome.spawnError.message), outcome.spawnError.code ? { code: outcome.spawnError.code } : {}) : undefined;
  return { stdout: outcome.stdout, stderr: outcome.stderr, exitCode: outcome.exitCode ?? undefined, spawnError };
}

/** A one-line reason from a failed result: its stderr, else how it ended. */
export function failureText(result: ChildResult): string {
  if (result.spawnError) return result.spawnError.message;
  const stderr = result.stderr.trim();
  if (stderr) return stderr;
  return result.exitCode === undefined ? 'killed by a signal' : `exit code ${result.exitCode}`;
}
