// Exec for the streaming server: the command runs with live stdio instead of captured output,
// through `runc exec` with pipes, as in exec-sync.ts.
//
// Limitation (issue #4): a request with a terminal still gets pipes, so the command runs
// interactively with its output in one stream, but isatty() is false inside and resize events
// are dropped. A real pty needs `runc exec --tty --console-socket`, where runc hands the pty
// master over a unix socket as SCM_RIGHTS ancillary data, and Node cannot receive descriptors
// (node-unix-socket, which attach-socket.ts uses for conmon's SOCK_SEQPACKET socket, does not
// pass them either). It needs a small native helper, not written yet.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../common/atomic-file.js';
import { execProcessSpec, type OciProcess } from './exec-sync.js';
import type { OciRuntime } from './oci-runtime.js';
import { signalNumber } from './signals.js';

export interface ExecStreamRequest {
  containerId: string;
  command: string[];
  tty: boolean;
  stdin: boolean;
  baseProcess: OciProcess;
  workDir: string;
}

export interface ExecStream {
  process: ChildProcess;
  /** The exit code (128+n for a signal), once the process and its output are done. */
  exited: Promise<number>;
}

export async function startExecStream(runtime: Pick<OciRuntime, 'path' | 'root'>, request: ExecStreamRequest): Promise<ExecStream> {
  const dir = await mkdtemp(join(request.workDir, 'exec-'));
  const specPath = join(dir, 'process.json');
  await writeJsonAtomic(specPath, execProcessSpec(request.baseProcess, request.command));
  const runcArgs = [`--root=${runtime.root}`, 'exec', `--process=${specPath}`, `--pid-file=${join(dir, 'exec.pid')}`, request.containerId];
  const stdio: ['pipe' | 'ignore', 'pipe', 'pipe'] = [request.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'];
  const child = spawn(runtime.path, runcArgs, { stdio });
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 0)));
  }).finally(() => rm(dir, { recursive: true, force: true }));
  return { process: child, exited };
}
