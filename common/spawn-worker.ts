// Starting a program off the event loop. libuv's spawn forks, then blocks the calling thread on a
// close-on-exec pipe until the child has exec'd: a millisecond on an idle machine, five to ten
// when the machine is busy and the child waits for a core. A pod start runs about eight programs
// (unshare, mount, the CNI plugins, runc), so ten pods starting at once used to queue behind each
// other's forks on berth's one event loop (half of berth's CPU samples during a concurrent pod
// start were in ChildProcess.spawn). Here the forks happen on a worker thread, started at the
// first program and stopped 30 s after the last; the event loop only posts and receives messages.
//
// The worker's code is the function below, sent as source (an eval worker), so it runs the same
// from dist/ and under the test runner. It may use nothing but its `require` parameter.
import { Worker } from 'node:worker_threads';
import { InternalError } from './errors.js';

export interface SpawnRequest {
  file: string;
  args: string[];
  input?: string | undefined;
  env?: Record<string, string> | undefined;
  cwd?: string | undefined;
  timeoutMs: number;
  /** Output kept per stream; past it the rest is dropped. */
  maxOutputBytes: number;
}

export interface SpawnOutcome {
  stdout: string;
  stderr: string;
  /** The exit code; null when the program could not start or died of a signal. */
  exitCode: number | null;
  spawnError: { message: string; code?: string } | null;
  /** Why the worker killed the program's process group, when it did. */
  stopped: 'timeout' | 'abort' | null;
}

type WorkerMessage = ({ kind: 'run'; id: number } & SpawnRequest) | { kind: 'kill'; id: number };
/** `started` tells the main thread whose process group to kill should the worker itself die. */
type WorkerReply = { kind: 'started'; id: number; pid: number } | ({ kind: 'done'; id: number } & SpawnOutcome);

/* v8 ignore start: runs inside the worker, from its source text */
function workerMain(require: (id: string) => unknown): void {
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const port = parentPort as import('node:worker_threads').MessagePort;
  const kills = new Map<number, (why: 'timeout' | 'abort') => void>();
  const collect = (stream: NodeJS.ReadableStream | null, max: number): (() => string) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream?.on('data', (chunk: Buffer) => {
      if (size >= max) return;
      chunks.push(chunk);
      size += chunk.length;
    });
    return () => Buffer.concat(chunks).toString('utf8');
  };
  const run = (message: Extract<WorkerMessage, { kind: 'run' }>): void => {
    const { id } = message;
    // Its own process group, so a kill reaches what it started too.
    const child = spawn(message.file, message.args, {
      detached: true,
      stdio: [message.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(message.env ? { env: message.env } : {}),
      ...(message.cwd ? { cwd: message.cwd } : {}),
    });
    const stdout = collect(child.stdout, message.maxOutputBytes);
    const stderr = collect(child.stderr, message.maxOutputBytes);
    let stopped: 'timeout' | 'abort' | null = null;
    // 'close' waits for the pipes as well as the process. After a kill the output is not wanted,
    // and a process that left the group (setsid) would hold the pipes, and the caller, for ever.
    const dropOutputOnceKilledAndGone = (): void => {
      if (stopped === null || (child.exitCode === null && child.signalCode === null)) return;
      child.stdout?.destroy();
      child.stderr?.destroy();
    };
    child.once('exit', dropOutputOnceKilledAndGone);
    kills.set(id, (why) => {
      stopped ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      dropOutputOnceKilledAndGone();
    });
    const timer = setTimeout(() => kills.get(id)?.('timeout'), message.timeoutMs);
    let spawnError: { message: string; code?: string } | null = null;
    child.once('error', (error: NodeJS.ErrnoException) => {
      spawnError = { message: error.message, ...(error.code ? { code: error.code } : {}) };
    });
    if (child.pid !== undefined) port.postMessage({ kind: 'started', id, pid: child.pid } satisfies WorkerReply);
    if (message.input !== undefined) {
      // A program that exits without reading its stdin closes the pipe: not an error of ours.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(message.input);
    }
    child.once('close', (code: number | null) => {
      clearTimeout(timer);
      kills.delete(id);
      const reply: WorkerReply = { kind: 'done', id, stdout: stdout(), stderr: stderr(), exitCode: spawnError ? null : code, spawnError, stopped };
      port.postMessage(reply);
    });
  };
  port.on('message', (message: WorkerMessage) => {
    if (message.kind === 'kill') {
      kills.get(message.id)?.('abort');
      return;
    }
    try {
      run(message);
    } catch (error) {
      // spawn() throws at once on arguments it refuses (a NUL byte in an argument or in the
      // environment): that request fails, the thread and every other program on it go on.
      const { message: text, code } = error as NodeJS.ErrnoException;
      const reply: WorkerReply = { kind: 'done', id: message.id, stdout: '', stderr: '', exitCode: null, spawnError: { message: text, ...(code ? { code } : {}) }, stopped: null };
      port.postMessage(reply);
    }
  });
}
/* v8 ignore stop */

/** How long the worker stays after its last program: about 9 MiB of memory a quiet berth does not need. */
const idleStopMs = 30_000;

/** A program on its way; `pid` once the worker has started it. */
type Pending = { resolve: (outcome: SpawnOutcome) => void; reject: (error: Error) => void; pid?: number };

/** One worker thread and the programs it runs. */
class WorkerHandle {
  readonly pending = new Map<number, Pending>();
  private idleTimer: NodeJS.Timeout | undefined;
  private gone = false;

  constructor(
    private readonly worker: Worker,
    private readonly onGone: () => void,
  ) {
    worker.on('message', (reply: WorkerReply) => {
      const entry = this.pending.get(reply.id);
      if (reply.kind === 'started') {
        if (entry) entry.pid = reply.pid;
        return;
      }
      const { kind: _kind, id: _id, ...outcome } = reply;
      entry?.resolve(outcome);
    });
    worker.on('error', (error) => this.fail(`failed: ${error.message}`));
    worker.on('exit', (code) => this.fail(`exited with code ${code}`));
    worker.unref();
  }

  get usable(): boolean {
    return !this.gone;
  }

  run(id: number, request: SpawnRequest, signal: AbortSignal | undefined): Promise<SpawnOutcome> {
    clearTimeout(this.idleTimer);
    return new Promise<SpawnOutcome>((resolve, reject) => {
      const onAbort = (): void => this.worker.postMessage({ kind: 'kill', id } satisfies WorkerMessage);
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
        if (this.pending.size > 0 || this.gone) return;
        // A running program keeps berth alive, as a child process of its own would; an idle worker does not.
        this.worker.unref();
        this.idleTimer = setTimeout(() => this.stopIfIdle(), idleStopMs).unref();
      };
      this.pending.set(id, {
        resolve: (outcome) => {
          settle();
          resolve(outcome);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      this.worker.ref();
      this.worker.postMessage({ kind: 'run', id, ...request } satisfies WorkerMessage);
    });
  }

  /** Ends the thread now, as a crash would: its programs are killed and their callers told. */
  terminate(): Promise<number> {
    return this.worker.terminate();
  }

  private stopIfIdle(): void {
    if (this.pending.size > 0 || this.gone) return;
    this.gone = true;
    this.onGone();
    void this.worker.terminate();
  }

  private fail(why: string): void {
    if (!this.gone) {
      this.gone = true;
      this.onGone();
    }
    const error = new InternalError(`berth's process-starting thread ${why}; the programs it was running were killed`);
    for (const entry of [...this.pending.values()]) {
      // Nobody is left to time, abort or reap it: it goes now, with what it started.
      try {
        if (entry.pid !== undefined) process.kill(-entry.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      entry.reject(error);
    }
  }
}

/** The worker thread of this process, started for the first program and stopped when idle. */
export class SpawnWorker {
  private handle: WorkerHandle | undefined;
  private nextId = 1;

  run(request: SpawnRequest, signal: AbortSignal | undefined): Promise<SpawnOutcome> {
    return this.started().run(this.nextId++, request, signal);
  }

  /** Ends the current thread at once, as if it had died (tests of that path); the next run starts another. */
  async terminate(): Promise<void> {
    await this.handle?.terminate();
  }

  private started(): WorkerHandle {
    if (this.handle?.usable) return this.handle;
    const worker = new Worker(`(${workerMain.toString()})(require);`, {
      eval: true,
      name: 'berth-spawn',
      // It only forks and relays output: a small young generation (resident once grown); the old
      // generation may still hold two 16 MiB outputs and their copies for the reply.
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 160 },
    });
    const handle = new WorkerHandle(worker, () => {
      if (this.handle === handle) this.handle = undefined;
    });
    this.handle = handle;
    return handle;
  }
}

const spawnWorker = new SpawnWorker();

/** Runs one program to its end on the worker thread (common/child-process.ts gives it its meaning). */
export function spawnOnWorker(request: SpawnRequest, signal: AbortSignal | undefined): Promise<SpawnOutcome> {
  return spawnWorker.run(request, signal);
}
