// A real berth process (`berth runtime`, from the compiled dist/) with its own temporary root,
// state dir and socket, so tests and several instances never share state. crictl talks to it.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../common/package-root.js';
import { startDaemon, type Daemon } from './daemon.js';
import { goTool } from './tools.js';

export interface Berth {
  socket: string;
  /** The daemon's process id. */
  pid: number;
  rootDir: string;
  stateDir: string;
  logPath: string;
  /** Runs the real crictl against this berth; rejects on a non-zero exit. */
  crictl(...args: string[]): Promise<string>;
  /** Runs crictl and returns its exit code and output without throwing. */
  crictlResult(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
  /** Stops berth gracefully (SIGTERM) and keeps its dirs and whatever it left: to sweep for leaks before stop(). */
  shutdown(): Promise<void>;
  /** SIGKILLs berth and keeps its dirs, containers and mounts: the crash a restart recovers from. */
  kill(): Promise<void>;
  /** The instance's directory, to start a second berth on the same state. */
  workDir: string;
}

/**
 * startDaemon, and a berth that never got ready takes its fresh instance dir with it (its log's
 * text is in the error): otherwise the tier's leak check blames the harness's own temp dir.
 */
async function startDaemonIn(work: string, fresh: boolean, options: Parameters<typeof startDaemon>[0]): Promise<Daemon> {
  try {
    return await startDaemon(options);
  } catch (error) {
    // Never rm -r across a mount a half-started berth made: that would empty its source.
    const mounted = readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${work}/`);
    if (fresh && !mounted) rmSync(work, { recursive: true, force: true });
    throw error;
  }
}

/** `enter`: a command prefix berth runs under (nsenter into a mount namespace shared with a kubelet). */
export async function startBerth(options: { args?: string[]; logLevel?: string; workDir?: string; enter?: string[] } = {}): Promise<Berth> {
  const work = options.workDir ?? mkdtempSync(join(tmpdir(), 'berth-instance-'));
  const socket = join(work, 'berth.sock');
  const rootDir = join(work, 'root');
  const stateDir = join(work, 'state');
  const logPath = join(work, 'berth.log');
  const [command = process.execPath, ...prefix] = [...(options.enter ?? []), process.execPath];
  const daemon: Daemon = await startDaemonIn(work, options.workDir === undefined, {
    name: 'berth runtime',
    command,
    args: [
      ...prefix,
      join(packageRoot(), 'bin/berth.js'),
      'runtime',
      '--socket',
      socket,
      '--root-dir',
      rootDir,
      '--state-dir',
      stateDir,
      '--log-level',
      options.logLevel ?? 'debug',
      // Instances run side by side: each gets a free metrics port.
      '--metrics-address',
      '127.0.0.1:0',
      // The host's CDI specs are not the test's business; a test that wants devices passes its own.
      '--cdi-spec-dir',
      join(work, 'cdi'),
      ...(options.args ?? []),
    ],
    logPath,
    // Connect, not just stat: a killed predecessor leaves its socket file behind.
    ready: () =>
      new Promise<boolean>((resolve) => {
        const probe = createConnection(socket);
        probe.once('connect', () => {
          probe.destroy();
          resolve(true);
        });
        probe.once('error', () => resolve(false));
      }),
    timeoutMs: 30_000,
  });
  const crictlArgs = (args: string[]): string[] => ['--runtime-endpoint', `unix://${socket}`, '--image-endpoint', `unix://${socket}`, '--timeout', '60s', ...args];
  return {
    workDir: work,
    socket,
    pid: daemon.pid,
    rootDir,
    stateDir,
    logPath,
    crictl: async (...args) => (await execa(goTool('crictl'), crictlArgs(args), { timeout: 120_000 })).stdout,
    crictlResult: async (...args) => {
      const result = await execa(goTool('crictl'), crictlArgs(args), { timeout: 120_000, reject: false });
      return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
    kill: async () => {
      process.kill(daemon.pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
    },
    shutdown: () => daemon.stop(),
    stop: async () => {
      await daemon.stop();
      // Pods a test left behind keep running, with their pinned namespaces and rootfs mounts
      // (they outlive berth by design); a test instance's world goes away whole.
      const runcRoot = join(stateDir, 'oci/runc');
      await execa('sh', ['-c', `runc --root ${runcRoot} list -q 2>/dev/null | xargs -r -n1 runc --root ${runcRoot} delete --force`], { reject: false });
      await execa('sh', ['-c', `grep -o " ${work}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`], { reject: false });
      rmSync(work, { recursive: true, force: true });
    },
  };
}
