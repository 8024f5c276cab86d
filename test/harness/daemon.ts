// Starts a peer daemon (registry, etcd, kube-apiserver, ...) with its output in a log file, waits
// until it answers, and stops it with SIGTERM then SIGKILL. A daemon that exits early fails the
// wait with the tail of its log, so a broken peer explains itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, closeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Daemon {
  name: string;
  pid: number;
  logPath: string;
  /** How it exited ("exited with SIGSEGV"), when it did so before stop() was called. */
  exitedBecause(): string | undefined;
  stop(): Promise<void>;
}

export interface DaemonOptions {
  name: string;
  command: string;
  args: string[];
  logPath: string;
  env?: NodeJS.ProcessEnv;
  /** Resolves true once the daemon serves; polled until timeoutMs. */
  ready: () => Promise<boolean>;
  timeoutMs?: number;
}

function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const log = openSync(options.logPath, 'a');
  const child = spawn(options.command, options.args, {
    stdio: ['ignore', log, log],
    env: options.env ?? process.env,
  });
  closeSync(log);
  let exitNote: string | undefined;
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) exitNote = `exited with ${signal ?? code}`;
  });
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (error) => resolve(error));
  });
  if (spawned) throw new Error(`${options.name}: cannot start ${options.command}: ${spawned.message}`);

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (exitNote) {
      throw new Error(`${options.name} ${exitNote} before it was ready; log ${options.logPath}:\n${tail(options.logPath)}`);
    }
    if (await options.ready().catch(() => false)) break;
    if (Date.now() > deadline) {
      await stopChild(child, 2_000);
      throw new Error(`${options.name} not ready after ${options.timeoutMs ?? 60_000} ms; log:\n${tail(options.logPath)}`);
    }
    await sleep(100);
  }
  return {
    name: options.name,
    pid: child.pid ?? -1,
    logPath: options.logPath,
    exitedBecause: () => exitNote,
    stop: () => {
      stopping = true;
      return stopChild(child, 10_000);
    },
  };
}
