// The container manager's monitor port, built from the adapters in this folder: conmon creates
// and watches, the OCI runtime starts/signals/deletes, exit files say how it ended. This is the
// one object the runtime wires in; each piece below it is tested against the real binaries.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupSignal, type Abortable } from '../../common/abort.js';
import { InternalError, type BerthError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Conmon, ConmonCreateRequest, ConmonCreated } from './conmon.js';
import { isConmonProcess } from './conmon.js';
import { execSync, type ExecSyncResult, type OciProcess } from './exec-sync.js';
import { attachToSocket, type AttachSession } from './attach-socket.js';
import { startExecStream, type ExecStream } from './exec-stream.js';
import { startTerminalExec } from './exec-terminal.js';
import { listExitFiles, readExitFile, unknownExit, watchExitFiles, type ExitStatus } from './exit-files.js';
import type { OciRuntime } from './oci-runtime.js';
import { stopContainer, type StopOutcome } from './stop.js';

export interface ContainerMonitorOptions {
  runtime: OciRuntime;
  conmon: Conmon;
  exitDir: string;
  /** conmon's --socket-dir-path: <socketDir>/<id>/attach is each container's attach socket. */
  socketDir: string;
  /** 0700 scratch space for exec process specs. */
  execDir: string;
  /** conmon itself and the PATH it runs with: an exec with a terminal runs under its own conmon. */
  conmonPath: string;
  searchPath: string;
  logger: Logger;
}

function hasCode(error: unknown, code: BerthError['code']): boolean {
  return (error as Partial<BerthError>).code === code;
}

export class ContainerMonitor {
  /**
   * Each container's process as its bundle has it, read at its first exec: a bundle never
   * changes after create, and probes exec every few seconds (two file reads and a JSON parse each).
   */
  private readonly baseProcesses = new Map<string, Promise<OciProcess>>();
  private execDirMade: Promise<unknown> | undefined;

  constructor(private readonly options: ContainerMonitorOptions) {}

  /** MonitorPort.create: see createContainer. */
  async create(request: ConmonCreateRequest, options: Abortable = {}): Promise<void> {
    await this.createContainer(request, options);
  }

  /** Creates the container under conmon; on failure (an abort too) leaves no runtime state behind. */
  async createContainer(request: ConmonCreateRequest, options: Abortable = {}): Promise<ConmonCreated> {
    try {
      return await this.options.conmon.create(request, options);
    } catch (error) {
      await this.options.runtime.delete(request.id, { force: true, signal: cleanupSignal() }).catch((cleanupError: unknown) => {
        if (!hasCode(cleanupError, 'NOT_FOUND')) {
          this.options.logger.error({ containerId: request.id, err: cleanupError }, 'deleting a container whose create failed failed too');
        }
      });
      throw error;
    }
  }

  async start(id: string, options: Abortable = {}): Promise<void> {
    await this.options.runtime.start(id, options);
  }

  /** MonitorPort.kill: the signal to the container's init process. */
  async kill(id: string, signal: string, options: Abortable = {}): Promise<void> {
    await this.options.runtime.kill(id, signal, options);
  }

  /** MonitorPort.stop: see stopContainer. */
  async stop(id: string, timeoutSeconds: number, stopSignal: string, options: Abortable = {}): Promise<void> {
    await this.stopContainer(id, timeoutSeconds, stopSignal, options);
  }

  /** Signal, up to `timeoutSeconds` of grace, SIGKILL; says which of those ended it. */
  async stopContainer(id: string, timeoutSeconds: number, stopSignal: string, options: Abortable = {}): Promise<StopOutcome> {
    return stopContainer(
      {
        kill: (containerId, sent, abortable) => this.options.runtime.kill(containerId, sent, abortable),
        exited: async (containerId) => (await this.exitStatus(containerId)) !== undefined,
      },
      id,
      { timeoutSeconds, stopSignal, signal: options.signal },
    );
  }

  /** The container's init process on the host, as conmon recorded it. */
  async pid(id: string): Promise<number | undefined> {
    return (await this.options.conmon.record(id))?.pid;
  }

  /** MonitorPort.recordedExit: conmon's exit file alone. */
  recordedExit(id: string): Promise<ExitStatus | undefined> {
    return readExitFile(this.options.exitDir, id);
  }

  /** Containers whose exit conmon has recorded. */
  exitedIds(): Promise<Set<string>> {
    return listExitFiles(this.options.exitDir);
  }

  /** MonitorPort.watchExits: a hint soon after conmon records an exit. */
  watchExits(onExit: (id: string) => void): () => void {
    return watchExitFiles(this.options.exitDir, onExit, (error) => this.options.logger.warn({ err: error.message }, 'watching exit files failed; exits are seen at the next list'));
  }

  /**
   * How the container ended, or undefined while it has not. conmon writes the exit file before it
   * exits, so while conmon lives the container is running or its file is on the way: that look
   * costs two small reads, and ListContainers makes it for every running container. Only with
   * conmon gone and no file is the OCI runtime asked (a process spawn): a container it still
   * reports running lost its monitor but has not ended; otherwise it ended with an unknown code.
   */
  async exitStatus(id: string): Promise<ExitStatus | undefined> {
    const recorded = await readExitFile(this.options.exitDir, id);
    if (recorded) return recorded;
    const record = await this.options.conmon.record(id);
    if (record && (await isConmonProcess(record.conmonPid))) return undefined;
    // conmon may have written the file between the two looks.
    const late = await readExitFile(this.options.exitDir, id);
    if (late) return late;
    try {
      if ((await this.options.runtime.state(id)).status !== 'stopped') return undefined;
    } catch (error) {
      if (!hasCode(error, 'NOT_FOUND')) throw error;
    }
    return unknownExit(id);
  }

  /** Kills what is left and removes the runtime's state and conmon's files. Idempotent. */
  async delete(id: string, options: Abortable = {}): Promise<void> {
    this.baseProcesses.delete(id);
    try {
      await this.options.runtime.delete(id, { force: true, signal: options.signal });
    } catch (error) {
      if (!hasCode(error, 'NOT_FOUND')) throw error;
    }
    await this.options.conmon.killConmon(id);
    await this.options.conmon.removeFiles(id);
  }

  /** The container's own process from its bundle: what exec'd commands start from. */
  private async baseProcess(id: string): Promise<OciProcess> {
    let read = this.baseProcesses.get(id);
    if (!read) {
      read = this.readBaseProcess(id);
      this.baseProcesses.set(id, read);
      // A failed read (no such container yet or any more) is not remembered.
      read.catch(() => this.baseProcesses.get(id) === read && this.baseProcesses.delete(id));
    }
    this.execDirMade ??= mkdir(this.options.execDir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      this.execDirMade = undefined;
      throw error;
    });
    const [process] = await Promise.all([read, this.execDirMade]);
    return process;
  }

  private async readBaseProcess(id: string): Promise<OciProcess> {
    const record = await this.options.conmon.record(id);
    const bundle = record?.bundleDir ?? (await this.options.runtime.state(id)).bundle;
    const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as { process?: OciProcess };
    if (!spec.process) throw new InternalError(`container ${id}'s bundle ${bundle} has a config.json without a process`);
    return spec.process;
  }

  async execSync(id: string, command: string[], timeoutSeconds: number, options: Abortable = {}): Promise<ExecSyncResult> {
    return execSync(this.options.runtime, {
      containerId: id,
      command,
      timeoutSeconds,
      signal: options.signal,
      baseProcess: await this.baseProcess(id),
      workDir: this.options.execDir,
    });
  }

  /** MonitorPort.attach: conmon's attach socket for the container, and its ctl FIFO for resizes when it has a tty. */
  async attach(id: string, options: { stdin: boolean; tty: boolean }): Promise<AttachSession> {
    const session = await attachToSocket(join(this.options.socketDir, id, 'attach'), options);
    if (options.tty) session.resize = (width, height) => this.options.conmon.resizeTerminal(id, width, height);
    return session;
  }

  /** Without a terminal `runc exec` with pipes; with one, under conmon, which holds the pty. */
  async execStream(id: string, command: string[], options: { tty: boolean; stdin: boolean } & Abortable): Promise<ExecStream> {
    if (options.tty) {
      const { conmonPath, runtime, execDir, socketDir, searchPath, logger } = this.options;
      const request = { containerId: id, command, stdin: options.stdin, baseProcess: await this.baseProcess(id), signal: options.signal };
      return startTerminalExec({ conmonPath, runtime, execDir, socketDir, searchPath, logger }, request);
    }
    return startExecStream(this.options.runtime, {
      containerId: id,
      command,
      ...options,
      baseProcess: await this.baseProcess(id),
      workDir: this.options.execDir,
    });
  }

  async reopenLog(id: string, options: Abortable = {}): Promise<void> {
    await this.options.conmon.reopenLog(id, options);
  }
}
