// Exec for the streaming server without a terminal: the command runs with live stdio through
// `runc exec` with pipes, as in exec-sync.ts, stdout and stderr apart. With a terminal the
// command needs a pty, which only conmon can hold for berth (exec-terminal.ts says why).
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execProcessSpec, killOnAbort, writeProcessSpec, type OciProcess } from './exec-sync.js';
import type { OciRuntime } from './oci-runtime.js';
import { signalNumber } from './signals.js';

export interface ExecStreamRequest {
  containerId: string;
  command: string[];
  tty: boolean;
  stdin: boolean;
  baseProcess: OciProcess;
  workDir: string;
  /** The session's: it aborts when the client goes away, and the command is killed. */
  signal?: AbortSignal | undefined;
}

export interface ExecStream {
  stdin: Writable | null;
  stdout: Readable;
  /** Empty with a terminal: everything comes through it as stdout. */
  stderr: Readable;
  /** The exit code (128+n for a signal), once the process and its output are done. */
  exited: Promise<number>;
  /** Resizes the command's terminal; absent without one. */
  resize?: ((width: number, height: number) => Promise<void>) | undefined;
}

export async function startExecStream(runtime: Pick<OciRuntime, 'path' | 'root'>, request: ExecStreamRequest): Promise<ExecStream> {
  const dir = await mkdtemp(join(request.workDir, 'exec-'));
  const specPath = join(dir, 'process.json');
  await writeProcessSpec(specPath, execProcessSpec(request.baseProcess, request.command));
  const pidFile = join(dir, 'exec.pid');
  const runcArgs = [`--root=${runtime.root}`, 'exec', `--process=${specPath}`, `--pid-file=${pidFile}`, request.containerId];
  const stdio: ['pipe' | 'ignore', 'pipe', 'pipe'] = [request.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'];
  const child = spawn(runtime.path, runcArgs, { stdio });
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 0)));
  }).finally(() => rm(dir, { recursive: true, force: true }));
  killOnAbort(request.signal, pidFile, () => child.kill('SIGKILL'), exited);
  if (!child.stdout || !child.stderr) throw new Error('runc exec was spawned without output pipes');
  return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, exited };
}
