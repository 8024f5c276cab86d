// Exec round trip on a running container, the same way against any runtime: CRI ExecSync of
// `true` (the kubelet's exec probes), and the real `crictl exec` of `true` (Exec RPC, then the
// streaming server over SPDY; crictl's own start-up is in both runtimes' figures alike). Then
// hygiene under load: many crictl exec streams, a bounded number at a time, every tenth with a
// terminal the client resizes, and what the daemon holds afterwards (descriptors, processes).
import { execa } from 'execa';
import { readdirSync } from 'node:fs';
import type { CriClient } from '../cri/client/cri-client.js';
import { goTool } from '../test/harness/tools.js';
import { boundedAll, startOnePod, tearDownPod } from './pod-start.js';
import { elapsedMs, summarize, type Summary } from './stats.js';

export interface ExecLatencyResult {
  samples: number;
  execSync: Summary;
  crictlExec: Summary;
  hygiene: ExecHygiene;
}

export interface ExecHygiene {
  streams: number;
  concurrency: number;
  /** With a terminal, resized by the client (every tenth). */
  terminalStreams: number;
  wallMs: number;
  /** Streams whose output was not what the command printed. */
  failures: number;
  /** What the first failed streams printed (kind, exit code, the end of their output). */
  failureSamples: string[];
  /** The daemon's open descriptors after the streams (and a 2 s settle) minus before. */
  daemonFdsAdded: number;
  /** Exec processes (runc exec, exec conmons) still there for the container afterwards. */
  execProcessesLeft: number;
}

export async function measureExecLatency(
  client: CriClient,
  socket: string,
  daemonPid: number,
  options: { image: string; cgroupParent: string; samples: number; streams: number; concurrency: number },
): Promise<ExecLatencyResult> {
  const { podId, containerId } = await startOnePod(client, options.image, options.cgroupParent);
  const crictl = goTool('crictl');
  const crictlExec = async (): Promise<void> => {
    await execa(crictl, ['--runtime-endpoint', `unix://${socket}`, 'exec', containerId, 'true'], { timeout: 30_000 });
  };
  const execSync = async (): Promise<void> => {
    const result = await client.execSync(containerId, ['true'], 10);
    if (result.exitCode !== 0) throw new Error(`ExecSync of true exited ${result.exitCode}`);
  };
  const time = async (work: () => Promise<void>): Promise<number[]> => {
    // Two warm-up rounds: the first exec pays for caches on both sides.
    for (let i = 0; i < 2; i++) await work();
    const samples: number[] = [];
    for (let i = 0; i < options.samples; i++) {
      const t0 = process.hrtime.bigint();
      await work();
      samples.push(elapsedMs(t0));
    }
    return samples;
  };
  try {
    const syncSamples = await time(execSync);
    const crictlSamples = await time(crictlExec);
    const hygiene = await measureHygiene(crictl, socket, daemonPid, containerId, options.streams, options.concurrency);
    return { samples: options.samples, execSync: summarize(syncSamples), crictlExec: summarize(crictlSamples), hygiene };
  } finally {
    await tearDownPod(client, podId).catch(() => undefined);
  }
}

const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

async function execProcessesOf(containerId: string): Promise<number> {
  const { stdout } = await execa('ps', ['-eo', 'args']);
  return stdout.split('\n').filter((line) => line.includes(containerId) && (line.includes(' exec ') || line.includes('--exec'))).length;
}

async function measureHygiene(crictl: string, socket: string, daemonPid: number, containerId: string, streams: number, concurrency: number): Promise<ExecHygiene> {
  const before = fdCount(daemonPid);
  const endpoint = `unix://${socket}`;
  const started = process.hrtime.bigint();
  const outcomes = await boundedAll(streams, concurrency, async (i) => {
    if (i % 10 === 0) {
      // crictl wants a terminal of its own for -t: script gives it one, sized per stream; stdin
      // stays open meanwhile (at its end script would type ^D).
      const rows = 10 + (i % 50);
      const command = `stty rows ${rows} cols 80; ${crictl} --runtime-endpoint ${endpoint} exec -it ${containerId} sh -c 'for i in $(seq 50); do s=$(stty size); case "$s" in [1-9]*) break;; esac; sleep 0.1; done; echo "size:$s"'`;
      const result = await execa('sh', ['-c', 'sleep 2 | script --quiet --return --command "$COMMAND" /dev/null'], { env: { COMMAND: command }, reject: false, timeout: 120_000 });
      return result.stdout.includes(`size:${rows} 80`) ? undefined : `tty exit ${String(result.exitCode)}: ${JSON.stringify(`${result.stdout}${result.stderr}`.slice(-300))}`;
    }
    const result = await execa(crictl, ['--runtime-endpoint', endpoint, 'exec', containerId, 'echo', `n${i}`], { reject: false, timeout: 120_000 });
    return result.stdout.trim() === `n${i}` ? undefined : `pipe exit ${String(result.exitCode)}: ${JSON.stringify(`${result.stdout}${result.stderr}`.slice(-300))}`;
  });
  const failed = outcomes.filter((outcome): outcome is string => outcome !== undefined);
  const wallMs = elapsedMs(started);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  return {
    streams,
    concurrency,
    terminalStreams: Math.ceil(streams / 10),
    wallMs,
    failures: failed.length,
    failureSamples: failed.slice(0, 5),
    daemonFdsAdded: fdCount(daemonPid) - before,
    execProcessesLeft: await execProcessesOf(containerId),
  };
}
