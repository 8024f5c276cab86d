// The conmon adapter: conmon is the per-container monitor (CRI-O's). It runs the OCI runtime's
// `create`, keeps the container's stdio, writes the CRI log, writes the exit code to
// <exitDir>/<id>, serves the attach socket and the `ctl` FIFO in the bundle, and double-forks so
// the container outlives berth. berth talks to it through files only, so a restarted berth (a new
// Conmon instance) finds every container again from <stateDir>/<id>/monitor.json.
//
// Files, all below roots given by the caller:
//   <stateDir>/<id>/            0700: container.pid, conmon.pid, monitor.json
//   <exitDir>/<id>              exit code, written by conmon
//   <socketDir>/<id>            conmon's link to the bundle (attach socket)
//   <bundleDir>/ctl, winsz      conmon's control FIFOs
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { abortedError, type Abortable } from '../../common/abort.js';
import { writeVolatileJsonAtomic } from '../../common/atomic-file.js';
import { DeadlineExceededError, FailedPreconditionError, InternalError, NotFoundError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { checkContainerId } from './container-id.js';
import { parseSyncMessage, type SyncMessage } from './conmon-sync.js';
import { exitFilePath } from './exit-files.js';
import type { OciRuntime } from './oci-runtime.js';
import { pollUntil } from './poll-until.js';
import { runtimeError } from './runtime-errors.js';

export interface ConmonOptions {
  /** Absolute path of the conmon binary. */
  conmonPath: string;
  runtime: Pick<OciRuntime, 'name' | 'path' | 'globalArgs'>;
  stateDir: string;
  exitDir: string;
  socketDir: string;
  logger: Logger;
  /** How long the runtime's `create` may take before berth gives up (default 120 s). */
  createTimeoutMs?: number;
  /** PATH for conmon and the runtime it runs. */
  searchPath?: string;
}

export interface ConmonCreateRequest {
  id: string;
  bundleDir: string;
  /** CRI log file; '' for none. */
  logPath: string;
  terminal: boolean;
  stdin: boolean;
}

export interface ConmonCreated {
  /** The container's init process on the host. */
  pid: number;
  conmonPid: number;
}

export const monitorRecordVersion = 1;

/** What a later berth needs to find a container's monitor again. */
export interface MonitorRecord {
  version: typeof monitorRecordVersion;
  id: string;
  bundleDir: string;
  logPath: string;
  pid: number;
  conmonPid: number;
}

export interface ConmonPaths {
  dir: string;
  containerPidFile: string;
  conmonPidFile: string;
  record: string;
  exitFile: string;
  socketLink: string;
  ctlFifo: (bundleDir: string) => string;
}

const defaultSearchPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
// conmon's ctl FIFO message types ("<type> <height> <width>\n"): 1 resizes the tty, 2 reopens logs.
const reopenLogsMessage = '2 0 0\n';

/** Pure: the ctl message that resizes the terminal; sizes are clamped to what a tty holds. */
export function resizeMessage(width: number, height: number): string {
  const clamp = (n: number): number => Math.max(0, Math.min(65_535, Math.trunc(Number.isFinite(n) ? n : 0)));
  return `1 ${clamp(height)} ${clamp(width)}\n`;
}

/** One message to a conmon's ctl FIFO; `whenGone` says what it means that no conmon reads it. */
export async function writeControl(fifoPath: string, message: string, whenGone: string): Promise<void> {
  let fifo: FileHandle;
  try {
    // Non-blocking: with no conmon reading, this fails (ENXIO) instead of hanging.
    fifo = await open(fifoPath, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new FailedPreconditionError(whenGone, { cause: error });
  }
  try {
    await fifo.write(message);
  } finally {
    await fifo.close();
  }
}

/** Pure: conmon's command line for creating `request` with `runtime` under `paths`. */
export function conmonCreateArgs(runtime: ConmonOptions['runtime'], request: ConmonCreateRequest, paths: ConmonPaths, socketDir: string, exitDir: string): string[] {
  return [
    '--api-version',
    '1',
    '--cid',
    request.id,
    '--cuuid',
    request.id,
    '--name',
    request.id,
    '--runtime',
    runtime.path,
    ...runtime.globalArgs().flatMap((arg) => ['--runtime-arg', arg]),
    '--bundle',
    request.bundleDir,
    '--container-pidfile',
    paths.containerPidFile,
    '--conmon-pidfile',
    paths.conmonPidFile,
    '--exit-dir',
    exitDir,
    '--socket-dir-path',
    socketDir,
    '--log-path',
    request.logPath === '' ? 'none' : `k8s-file:${request.logPath}`,
    ...(request.terminal ? ['--terminal'] : []),
    ...(request.stdin ? ['--stdin'] : []),
  ];
}

/** Whether `pid` is a live conmon (not a process that reused its pid). */
export async function isConmonProcess(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    const argv0 = cmdline.split('\0')[0] ?? '';
    if (!argv0.endsWith('conmon')) return false;
    const status = await readFile(`/proc/${pid}/stat`, 'utf8');
    // A zombie has exited; only its parent's wait is missing.
    return !/\) Z /.test(status);
  } catch {
    return false;
  }
}

export class Conmon {
  private readonly createTimeoutMs: number;

  constructor(private readonly options: ConmonOptions) {
    this.createTimeoutMs = options.createTimeoutMs ?? 120_000;
  }

  paths(id: string): ConmonPaths {
    checkContainerId(id);
    const dir = join(this.options.stateDir, id);
    return {
      dir,
      containerPidFile: join(dir, 'container.pid'),
      conmonPidFile: join(dir, 'conmon.pid'),
      record: join(dir, 'monitor.json'),
      exitFile: exitFilePath(this.options.exitDir, id),
      socketLink: join(this.options.socketDir, id),
      ctlFifo: (bundleDir: string) => join(bundleDir, 'ctl'),
    };
  }

  /**
   * Has conmon create the container (not started) and resolves once the runtime's `create` has
   * finished: conmon itself returns before that, and a `start` sent earlier races with `create`.
   * On failure nothing of conmon's is left; the runtime's own state is the caller's to delete.
   * An abort of `signal` while the runtime creates kills conmon (and the create with it), as the
   * create timeout does.
   */
  async create(request: ConmonCreateRequest, options: Abortable = {}): Promise<ConmonCreated> {
    const { signal } = options;
    if (signal?.aborted) throw abortedError(signal, `creating container ${request.id}`);
    const paths = this.paths(request.id);
    const log = this.options.logger.child({ containerId: request.id });
    await Promise.all([
      mkdir(paths.dir, { recursive: true, mode: 0o700 }),
      mkdir(this.options.exitDir, { recursive: true, mode: 0o700 }),
      mkdir(this.options.socketDir, { recursive: true, mode: 0o700 }),
    ]);
    // A retried create must not read the exit of an earlier attempt.
    await rm(paths.exitFile, { force: true });

    const args = conmonCreateArgs(this.options.runtime, request, paths, this.options.socketDir, this.options.exitDir);
    const child = spawn(this.options.conmonPath, args, {
      // conmon writes an "oom" marker into its working directory when the container is
      // OOM-killed: that belongs with the container's files, never in berth's own cwd.
      cwd: paths.dir,
      // fd 3 is the sync pipe; conmon's daemon keeps it after the fork that detaches it.
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      env: { PATH: this.options.searchPath ?? defaultSearchPath, _OCI_SYNCPIPE: '3' },
      detached: true,
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 64 * 1024) stderr += chunk;
    });
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    try {
      await spawned;
    } catch (error) {
      throw new InternalError(`could not run conmon (${this.options.conmonPath}) for container ${request.id}: ${(error as Error).message}`, { cause: error });
    }

    const stderrEnded = new Promise<void>((resolve) => child.stderr?.once('close', resolve));
    let message: SyncMessage | undefined | 'timeout';
    try {
      message = await readSyncMessage(child.stdio[3] as Readable, this.createTimeoutMs, signal);
      // When conmon failed before its fork, its reason is on stderr, which closes as it exits.
      if (message === undefined) await Promise.race([stderrEnded, sleep(1000)]);
    } finally {
      for (const stream of child.stdio) stream?.destroy();
      child.unref();
    }

    if (message === 'timeout' || message === undefined || !message.ok) {
      await this.killCreate(request.id).catch(() => undefined);
      await this.removeFiles(request.id);
      // conmon repeats what the runtime printed; it comes through the sync pipe or, when conmon
      // itself failed first, its own stderr.
      if (message === 'timeout' && signal?.aborted) throw abortedError(signal, `${this.options.runtime.name} create of container ${request.id}; conmon was killed`);
      if (message === 'timeout') {
        throw new DeadlineExceededError(`${this.options.runtime.name} create of container ${request.id} did not finish within ${this.createTimeoutMs / 1000} s; conmon was killed`);
      }
      const said = message === undefined ? stderr : message.message;
      throw runtimeError({ runtime: `conmon/${this.options.runtime.name}`, operation: 'create', containerId: request.id, stderr: said, exitCode: undefined });
    }
    for (const line of stderr.split('\n')) {
      // conmon cannot lower its oom_score_adj on these hosts; that is expected and harmless.
      if (line.trim() !== '' && !line.includes('oom_score_adj')) log.warn({ conmon: line.trim() }, 'conmon warned');
    }

    // conmon's first process writes this file as it exits, racing the daemon's sync message.
    let conmonPid = 0;
    await pollUntil(
      async () => {
        conmonPid = Number((await readFile(paths.conmonPidFile, 'utf8').catch(() => '')).trim());
        return Number.isInteger(conmonPid) && conmonPid > 0;
      },
      { timeoutMs: 5_000 },
    );
    if (!(conmonPid > 0)) throw new InternalError(`conmon created container ${request.id} but wrote no pid file at ${paths.conmonPidFile}`);
    const record: MonitorRecord = {
      version: monitorRecordVersion,
      id: request.id,
      bundleDir: request.bundleDir,
      logPath: request.logPath,
      pid: message.pid,
      conmonPid,
    };
    await writeVolatileJsonAtomic(paths.record, record);
    log.debug({ pid: message.pid, conmonPid }, 'container created under conmon');
    return { pid: message.pid, conmonPid };
  }

  /** The record written at create; undefined for a container this monitor never created. */
  async record(id: string): Promise<MonitorRecord | undefined> {
    const paths = this.paths(id);
    let text: string;
    try {
      text = await readFile(paths.record, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<MonitorRecord>;
    if (parsed.version !== monitorRecordVersion || parsed.id !== id) {
      throw new InternalError(`monitor record ${paths.record} has version ${String(parsed.version)} or another id; berth reads version ${monitorRecordVersion}`);
    }
    return parsed as MonitorRecord;
  }

  private async requireRecord(id: string): Promise<MonitorRecord> {
    const record = await this.record(id);
    if (!record) throw new NotFoundError(`container ${id} has no monitor: it was not created by this berth, or was removed`);
    return record;
  }

  /** Whether the container's conmon is still running. */
  async isRunning(id: string): Promise<boolean> {
    const record = await this.record(id);
    return record !== undefined && isConmonProcess(record.conmonPid);
  }

  /**
   * Has conmon reopen the container's log file (after the kubelet renamed it for rotation) and
   * resolves once the new file exists, as CRI ReopenContainerLog requires.
   */
  async reopenLog(id: string, options: { timeoutMs?: number } & Abortable = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const record = await this.requireRecord(id);
    if (record.logPath === '') throw new FailedPreconditionError(`container ${id} was created without a log path; there is no log to reopen`);
    const before = await inode(record.logPath);
    await this.control(id, record.bundleDir, reopenLogsMessage, 'its log cannot be reopened');
    // conmon writes <log>.tmp and renames it over the log, so the new file is a new inode.
    const reopened = await pollUntil(
      async () => {
        const now = await inode(record.logPath);
        return now !== undefined && now !== before;
      },
      { timeoutMs, signal: options.signal, what: `conmon to reopen the log of container ${id}` },
    );
    if (!reopened) throw new DeadlineExceededError(`conmon did not reopen the log ${record.logPath} of container ${id} within ${timeoutMs} ms`);
  }

  /** Resizes the container's terminal through conmon's ctl FIFO (a container created with a tty). */
  async resizeTerminal(id: string, width: number, height: number): Promise<void> {
    const record = await this.requireRecord(id);
    await this.control(id, record.bundleDir, resizeMessage(width, height), 'its terminal cannot be resized');
  }

  /** Writes one message to conmon's ctl FIFO; `what` says what fails when conmon is not there. */
  private async control(id: string, bundleDir: string, message: string, what: string): Promise<void> {
    await writeControl(this.paths(id).ctlFifo(bundleDir), message, `container ${id}'s monitor is not running; ${what}`);
  }

  /** Kills the container's conmon (its container dies with it only if conmon is mid-create). */
  async killConmon(id: string): Promise<void> {
    const paths = this.paths(id);
    const text = await readFile(paths.conmonPidFile, 'utf8').catch(() => '');
    const pid = Number(text.trim());
    if (await isConmonProcess(pid)) process.kill(pid, 'SIGKILL');
  }

  /**
   * Kills a conmon that is still creating, with the `<runtime> create` it started: that create
   * (and its hooks) would outlive conmon and leave a container nobody owns. conmon's daemon leads
   * its own session, and the create runs in it; the container's init has a session of its own
   * and dies with its parent create.
   */
  private async killCreate(id: string): Promise<void> {
    const pid = Number((await readFile(this.paths(id).conmonPidFile, 'utf8').catch(() => '')).trim());
    if (!(await isConmonProcess(pid))) return;
    const group = await processGroup(pid);
    process.kill(group === pid ? -pid : pid, 'SIGKILL');
  }

  /** Removes every file conmon and this adapter keep for the container. Idempotent. */
  async removeFiles(id: string): Promise<void> {
    const paths = this.paths(id);
    await Promise.all([rm(paths.dir, { recursive: true, force: true }), rm(paths.exitFile, { force: true }), rm(paths.socketLink, { force: true })]);
  }
}

/** The process group of `pid` (field 5 of /proc/PID/stat; comm may hold spaces and parentheses). */
async function processGroup(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  return Number.isInteger(group) && group > 0 ? group : undefined;
}

async function inode(path: string): Promise<bigint | undefined> {
  try {
    return (await stat(path, { bigint: true })).ino;
  } catch {
    return undefined;
  }
}

/** The first JSON line conmon writes on its sync pipe; undefined at EOF without one; 'timeout'. */
export function readSyncMessage(pipe: Readable, timeoutMs: number, signal?: AbortSignal): Promise<SyncMessage | undefined | 'timeout'> {
  return readPipeMessage(pipe, timeoutMs, (line) => parseSyncMessage(line) ?? { ok: false, message: `conmon wrote ${line}` }, signal);
}

/**
 * The first line conmon writes on one of its pipes, parsed; undefined when the pipe closed empty;
 * 'timeout' when `timeoutMs` passed or `signal` aborted first (the caller tells which).
 */
export function readPipeMessage<T>(pipe: Readable, timeoutMs: number, parse: (line: string) => T | undefined, signal?: AbortSignal): Promise<T | undefined | 'timeout'> {
  return new Promise((resolve) => {
    let buffered = '';
    const onAbort = (): void => finish('timeout');
    const finish = (result: T | undefined | 'timeout'): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      pipe.removeAllListeners('data');
      resolve(result);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    pipe.setEncoding('utf8');
    pipe.on('data', (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline >= 0) finish(parse(buffered.slice(0, newline)));
    });
    pipe.once('end', () => finish(buffered.trim() === '' ? undefined : parse(buffered.trim())));
    pipe.once('error', () => finish(undefined));
  });
}
