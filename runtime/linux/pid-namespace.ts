// A pod-wide pid namespace (NamespaceMode POD, the kubelet's shareProcessNamespace). Unlike
// network/IPC/UTS, a pid namespace cannot outlive its init process, so a holder process runs as
// its pid 1 under `unshare --pid --fork`, detached from berth so the pod survives a berth restart.
// Being pid 1 it inherits every orphan of the pod's containers, so it must reap them: catatonit
// in pause mode (podman's pause process) does; `sleep infinity`, the fallback where catatonit is
// not installed, does not, and the pod then collects zombies. Killing the holder ends the
// namespace and every process in it.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { InternalError } from '../../common/errors.js';

export interface PidNamespace {
  /** The holder (the namespace's pid 1), as seen from the host. */
  holderPid: number;
  /** /proc/<holder>/ns/pid: what containers join. */
  path: string;
}

export interface PidNamespacePort {
  create(): Promise<PidNamespace>;
  /** Ends the namespace; idempotent. */
  remove(namespace: PidNamespace): Promise<void>;
}

async function childOf(pid: number): Promise<number | undefined> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const child = Number.parseInt(text.trim().split(/\s+/)[0] ?? '', 10);
  return Number.isInteger(child) && child > 0 ? child : undefined;
}

/** Pure: what runs as the namespace's pid 1. */
export function holderCommand(catatonitPath: string | undefined): string[] {
  return catatonitPath ? [catatonitPath, '-P'] : ['sleep', 'infinity'];
}

export class UnsharePidNamespaces implements PidNamespacePort {
  /** `catatonitPath`: the reaping holder; undefined falls back to `sleep infinity` (no reaping). */
  constructor(private readonly catatonitPath: string | undefined) {}

  async create(): Promise<PidNamespace> {
    const unshare = spawn('unshare', ['--pid', '--fork', ...holderCommand(this.catatonitPath)], { detached: true, stdio: 'ignore' });
    unshare.unref();
    const parent = unshare.pid;
    if (!parent) throw new InternalError('cannot start the pod pid namespace holder (unshare)');
    for (let attempt = 0; attempt < 100; attempt++) {
      const holderPid = await childOf(parent);
      if (holderPid) return { holderPid, path: `/proc/${holderPid}/ns/pid` };
      await sleep(10);
    }
    process.kill(parent, 'SIGKILL');
    throw new InternalError('the pod pid namespace holder did not start within 1 s');
  }

  async remove(namespace: PidNamespace): Promise<void> {
    try {
      process.kill(namespace.holderPid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}
