// Running an external program for one step of a request (runc, CNI plugins, mount, unshare, ...)
// with the two bounds every such step has: the caller's signal and the adapter's own timeout.
// Either one kills the child's whole process group with SIGKILL (a CNI plugin runs its IPAM
// plugin and iptables; a wrapper script runs the real binary: none of them may outlive the
// step), and the call rejects with DeadlineExceeded or Cancelled (abort.ts). Any other outcome,
// a non-zero exit included, is returned for the adapter to interpret: only it knows what the
// program's stderr means.
import { spawn } from 'node:child_process';
import { abortedError, type Abortable } from './abort.js';
import { DeadlineExceededError } from './errors.js';

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

/** Output kept per stream; past it the rest is dropped (an error message needs the start). */
const maxOutputBytes = 16 * 1024 * 1024;

function collect(stream: NodeJS.ReadableStream | null): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream?.on('data', (chunk: Buffer) => {
    if (size >= maxOutputBytes) return;
    chunks.push(chunk);
    size += chunk.length;
  });
  return () => Buffer.concat(chunks).toString('utf8');
}

/** Runs `file` to its end, or kills it (and every process it started) on abort or timeout. */
export function runChild(file: string, args: readonly string[], options: ChildOptions, limits: ChildLimits): Promise<ChildResult> {
  const { signal, timeoutMs, what } = limits;
  if (signal?.aborted) return Promise.reject(abortedError(signal, what));
  return new Promise((resolve, reject) => {
    // Its own process group, so a kill reaches what it started too.
    const child = spawn(file, args, {
      detached: true,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    let stopped: Error | undefined;
    const kill = (why: Error): void => {
      stopped ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => kill(new DeadlineExceededError(`${what} did not finish within ${timeoutMs} ms; it was killed`)), timeoutMs);
    const onAbort = (): void => kill(abortedError(signal as AbortSignal, `${what} was killed`));
    signal?.addEventListener('abort', onAbort, { once: true });
    let spawnError: Error | undefined;
    child.once('error', (error) => {
      spawnError = error;
    });
    if (options.input !== undefined) {
      // A program that exits without reading its stdin closes the pipe: not an error of ours.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(options.input);
    }
    child.once('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (stopped) reject(stopped);
      else resolve({ stdout: stdout(), stderr: stderr(), exitCode: spawnError ? undefined : (code ?? undefined), spawnError });
    });
  });
}

/** A one-line reason from a failed result: its stderr, else how it ended. */
export function failureText(result: ChildResult): string {
  if (result.spawnError) return result.spawnError.message;
  const stderr = result.stderr.trim();
  if (stderr) return stderr;
  return result.exitCode === undefined ? 'killed by a signal' : `exit code ${result.exitCode}`;
}
