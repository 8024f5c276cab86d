// A pod-wide pid namespace (NamespaceMode POD, the kubelet's shareProcessNamespace). Unlike
// network/IPC/UTS, a pid namespace cannot outlive its init process, so a holder process runs as
// its pid 1 under `unshare --pid --fork`, detached from berth so the pod survives a berth restart.
// Being pid 1 it inherits every orphan of the pod's containers, so it must reap them: catatonit
// in pause mode (podman's pause process) does; `sleep infinity`, the fallback where catatonit is
// not installed, does not, and the pod then collects zombies. Killing the holder ends the
// namespace and every process in it. The holder carries its sandbox's dir in its environment
// (BERTH_POD_SANDBOX_DIR), so a berth restarted after a crash finds one that no record names.
import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { abortedError, type Abortable } from '../../common/abort.js';
import { InternalError } from '../../common/errors.js';

export interface PidNamespace {
  /** The holder (the namespace's pid 1), as seen from the host. */
  holderPid: number;
  /** /proc/<holder>/ns/pid: what containers join. */
  path: string;
}

export interface PidNamespacePort {
  /** Starts a holder for the sandbox whose dir is `owner`; an abort kills it before it is returned. */
  create(owner: string, options?: Abortable): Promise<PidNamespace>;
  /** Ends the namespace; idempotent. */
  remove(namespace: PidNamespace): Promise<void>;
  /** The holder processes (and their unshare parents) started for `owner`. */
  holdersOf(owner: string): Promise<number[]>;
}

const ownerVariable = 'BERTH_POD_SANDBOX_DIR';

async function childOf(pid: number): Promise<number | undefined> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const child = Number.parseInt(text.trim().split(/\s+/)[0] ?? '', 10);
  return Number.isInteger(child) && child > 0 ? child : undefined;
}

async function commandOf(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
}

/** Pure: what runs as the namespace's pid 1. */
export function holderCommand(catatonitPath: string | undefined): string[] {
  return catatonitPath ? [catatonitPath, '-P'] : ['sleep', 'infinity'];
}

export class UnsharePidNamespaces implements PidNamespacePort {
  /** `catatonitPath`: the reaping holder; undefined falls back to `sleep infinity` (no reaping). */
  constructor(private readonly catatonitPath: string | undefined) {}

  async create(owner: string, options: Abortable = {}): Promise<PidNamespace> {
    const unshare = spawn('unshare', ['--pid', '--fork', ...holderCommand(this.catatonitPath)], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, [ownerVariable]: owner },
    });
    unshare.unref();
    const parent = unshare.pid;
    if (!parent) throw new InternalError('cannot start the pod pid namespace holder (unshare)');
    for (let attempt = 0; attempt < 100 && !options.signal?.aborted; attempt++) {
      const holderPid = await childOf(parent);
      // Forked but not yet exec'd: still unshare, not the holder that reaps.
      if (holderPid && (await commandOf(holderPid)) !== 'unshare') return { holderPid, path: `/proc/${holderPid}/ns/pid` };
      await sleep(10);
    }
    // A holder that came up since the last look goes too: it would hold a namespace no record names.
    const late = await childOf(parent);
    for (const pid of [late, parent]) if (pid) killQuietly(pid);
    if (options.signal?.aborted) throw abortedError(options.signal, 'starting the pod pid namespace holder');
    throw new InternalError('the pod pid namespace holder did not start within 1 s');
  }

  async holdersOf(owner: string): Promise<number[]> {
    const marker = `${ownerVariable}=${owner}`;
    const holders: number[] = [];
    for (const name of await readdir('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const environ = await readFile(`/proc/${name}/environ`, 'utf8').catch(() => '');
      if (environ.split('\0').includes(marker)) holders.push(Number(name));
    }
    return holders;
  }

  /**
   * Kills the holder and waits (up to 2 s) until it and its unshare parent have exited, so that a
   * stopped pod leaves no process of its own behind.
   */
  async remove(namespace: PidNamespace): Promise<void> {
    const parent = await unshareParentOf(namespace.holderPid);
    try {
      process.kill(namespace.holderPid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
    for (let attempt = 0; attempt < 200; attempt++) {
      if (!(await running(namespace.holderPid)) && !(parent && (await running(parent)))) return;
      await sleep(10);
    }
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** The holder's parent when it is the `unshare` that started it. */
async function unshareParentOf(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  if (!Number.isInteger(ppid) || ppid <= 1) return undefined;
  const argv0 = (await readFile(`/proc/${ppid}/cmdline`, 'utf8').catch(() => '')).split('\0')[0] ?? '';
  return argv0.endsWith('unshare') ? ppid : undefined;
}

/** Alive and not yet a zombie (a zombie has exited; only its parent's wait is missing). */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}
