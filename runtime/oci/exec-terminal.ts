// Exec with a terminal. runc gives the pty master of `exec --tty` to whoever listens on its
// console socket, as SCM_RIGHTS ancillary data, which Node cannot receive. conmon can: in exec
// mode (-e --exec-attach -t) it runs `runc exec`, keeps the pty master and relays it through an
// attach socket, as podman's exec does. The handshake over three pipes conmon takes from env:
//
//   berth → start pipe    "go on" (conmon waits for it before forking: the cgroup step)
//   conmon → attach pipe  {"data":0} once its attach socket listens
//   berth                 connects to <socketDir>/<session>/attach
//   berth → start pipe    "start": conmon runs `runc exec`
//   conmon → sync pipe    {"data":<pid>}, or a negative value and the runtime's message
//
// The exit code is the file conmon writes in the session's exit dir, named after the container;
// resizes go to the session's ctl FIFO. Everything of a session lives in one directory, removed
// when the command has ended.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { InternalError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { attachToSocket } from './attach-socket.js';
import { readPipeMessage, readSyncMessage, resizeMessage, writeControl } from './conmon.js';
import { parseAttachReady } from './conmon-sync.js';
import { execProcessSpec, killOnAbort, writeProcessSpec, type OciProcess } from './exec-sync.js';
import type { ExecStream } from './exec-stream.js';
import type { OciRuntime } from './oci-runtime.js';
import { pollUntil } from './poll-until.js';

export interface TerminalExecOptions {
  conmonPath: string;
  runtime: Pick<OciRuntime, 'name' | 'path' | 'globalArgs'>;
  /** Sessions' directories go below it. */
  execDir: string;
  socketDir: string;
  searchPath: string;
  logger: Logger;
  /** How long conmon may take to get each step done (default 30 s). */
  stepTimeoutMs?: number;
}

export interface TerminalExecRequest {
  containerId: string;
  command: string[];
  stdin: boolean;
  baseProcess: OciProcess;
  /** The session's: it aborts when the client goes away, and the command is killed. */
  signal?: AbortSignal | undefined;
}

/** Pure: conmon's command line for one exec session with a terminal. */
export function conmonExecArgs(options: Pick<TerminalExecOptions, 'runtime' | 'socketDir'>, session: { id: string; dir: string; containerId: string; stdin: boolean }): string[] {
  return [
    '--api-version',
    '1',
    '--cid',
    session.containerId,
    '--cuuid',
    session.id,
    '--name',
    session.id,
    '--runtime',
    options.runtime.path,
    ...options.runtime.globalArgs().flatMap((arg) => ['--runtime-arg', arg]),
    '--bundle',
    session.dir,
    '--container-pidfile',
    join(session.dir, 'exec.pid'),
    '--exit-dir',
    join(session.dir, 'exit'),
    '--socket-dir-path',
    options.socketDir,
    '--log-path',
    'none',
    '--terminal',
    ...(session.stdin ? ['--stdin'] : []),
    '--exec',
    '--exec-attach',
    '--exec-process-spec',
    join(session.dir, 'process.json'),
  ];
}

const goOn = Buffer.from([0]);

function write(pipe: Writable, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => pipe.write(data, (error) => (error ? reject(error) : resolve())));
}

export async function startTerminalExec(options: TerminalExecOptions, request: TerminalExecRequest): Promise<ExecStream> {
  const stepTimeoutMs = options.stepTimeoutMs ?? 30_000;
  await mkdir(options.execDir, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(options.execDir, 'tty-'));
  const id = `exec-${basename(dir).slice(4)}`;
  const log = options.logger.child({ containerId: request.containerId, execSession: id });
  const cleanUp = (): Promise<unknown> => Promise.all([rm(dir, { recursive: true, force: true }), rm(join(options.socketDir, id), { recursive: true, force: true })]);
  try {
    await mkdir(join(dir, 'exit'));
    await writeProcessSpec(join(dir, 'process.json'), { ...execProcessSpec(request.baseProcess, request.command), terminal: true });
    const child = spawn(options.conmonPath, conmonExecArgs(options, { id, dir, containerId: request.containerId, stdin: request.stdin }), {
      cwd: dir,
      // fds 3, 4, 5: the sync, start and attach pipes.
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      env: { PATH: options.searchPath, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' },
      detached: true,
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 16 * 1024) stderr += chunk;
    });
    child.once('error', (error) => log.warn({ err: error.message }, 'conmon for a terminal exec failed to run'));
    const pipes = child.stdio as unknown as (Readable & Writable)[];
    const [syncPipe, startPipe, attachPipe] = [pipes[3], pipes[4], pipes[5]];
    if (!syncPipe || !startPipe || !attachPipe) throw new InternalError('conmon was spawned without its sync, start and attach pipes');
    const release = (): void => {
      for (const stream of child.stdio) stream?.destroy();
      child.unref();
    };
    const failed = (step: string, said: string): InternalError =>
      new InternalError(`exec with a terminal in container ${request.containerId}: conmon ${step}: ${said || stderr.trim() || 'no reason given'}`);
    try {
      await write(startPipe, goOn);
      const ready = await readPipeMessage(attachPipe, stepTimeoutMs, parseAttachReady);
      if (ready === 'timeout' || ready === undefined || !ready.ready) {
        throw failed('did not open its attach socket', ready === 'timeout' ? 'timed out' : ready?.ready === false ? ready.message : '');
      }
      const session = await attachToSocket(join(options.socketDir, id, 'attach'), { stdin: request.stdin, passStdinEnd: false });
      await write(startPipe, goOn);
      const started = await readSyncMessage(syncPipe, stepTimeoutMs);
      if (started === 'timeout' || started === undefined || !started.ok) {
        session.close();
        throw failed(`could not start ${request.command[0] ?? ''}`, started === 'timeout' ? 'timed out' : started?.ok === false ? started.message : '');
      }
      release();
      const exited = (async (): Promise<number> => {
        await session.ended;
        await Promise.all([finished(session.stdout), finished(session.stderr)]).catch(() => undefined);
        const exitFile = join(dir, 'exit', request.containerId);
        let code: number | undefined;
        await pollUntil(
          async () => {
            const text = await readFile(exitFile, 'utf8').catch(() => '');
            code = /^-?[0-9]+$/.test(text.trim()) ? Number(text.trim()) : undefined;
            return code !== undefined;
          },
          { timeoutMs: stepTimeoutMs },
        );
        if (code === undefined) throw new InternalError(`conmon wrote no exit code for the exec in container ${request.containerId} at ${exitFile}`);
        return code;
      })().finally(cleanUp);
      // conmon outlives the command and reports its exit; what the abort must end is the command.
      killOnAbort(request.signal, join(dir, 'exec.pid'), () => undefined, exited);
      return {
        stdin: session.stdin ?? null,
        stdout: session.stdout,
        stderr: session.stderr,
        exited,
        resize: (width, height) => writeControl(join(dir, 'ctl'), resizeMessage(width, height), `the exec in container ${request.containerId} has ended; its terminal cannot be resized`),
      };
    } catch (error) {
      release();
      if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
      throw error;
    }
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
