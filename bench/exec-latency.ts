// Exec round trip on a running container, the same way against any runtime: CRI ExecSync of
// `true` (the kubelet's exec probes), and the real `crictl exec` of `true` (Exec RPC, then the
// streaming server over SPDY; crictl's own start-up is in both runtimes' figures alike).
import { execa } from 'execa';
import type { CriClient } from '../cri/client/cri-client.js';
import { goTool } from '../test/harness/tools.js';
import { startOnePod, tearDownPod } from './pod-start.js';
import { elapsedMs, summarize, type Summary } from './stats.js';

export interface ExecLatencyResult {
  samples: number;
  execSync: Summary;
  crictlExec: Summary;
}

export async function measureExecLatency(
  client: CriClient,
  socket: string,
  options: { image: string; cgroupParent: string; samples: number },
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
    return { samples: options.samples, execSync: summarize(syncSamples), crictlExec: summarize(crictlSamples) };
  } finally {
    await tearDownPod(client, podId).catch(() => undefined);
  }
}
