// `npm run bench`: the same CRI workloads against berth and Debian's containerd 1.6 on this
// machine, in one run, through the same CRI client, with the same registry, CNI plugins and runc.
// Prints a table with ratios and writes every figure to bench-results/latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CriClient } from '../cri/client/cri-client.js';
import { packageRoot } from '../common/package-root.js';
import { startBerth } from '../test/harness/berth.js';
import { cniTestNetwork } from '../test/harness/cni-network.js';
import { startContainerd } from '../test/harness/containerd.js';
import { startRegistry } from '../test/harness/registry.js';
import { ownMemoryCgroup, removeCgroupPath } from './cgroups.js';
import { measurePodStart, type PodStartResult } from './pod-start.js';

interface RuntimeUnderTest {
  name: string;
  start(registryHost: string, cniConfDir: string): Promise<{ socket: string; stop(): Promise<void> }>;
}

const runtimes: RuntimeUnderTest[] = [
  {
    name: 'berth',
    start: async (registryHost, cniConfDir) => {
      const berth = await startBerth({ args: ['--insecure-registry', registryHost, '--cni-conf-dir', cniConfDir], logLevel: 'info' });
      return { socket: berth.socket, stop: () => berth.stop() };
    },
  },
  {
    name: 'containerd',
    start: async (registryHost, cniConfDir) => startContainerd({ registryHost, cniConfDir }),
  },
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sequential: { type: 'string', default: '20' },
      concurrent: { type: 'string', default: '50' },
      concurrency: { type: 'string', default: '10' },
      only: { type: 'string' },
    },
  });
  const started = Date.now();
  const registry = await startRegistry();
  const cgroupParent = `${ownMemoryCgroup()}/berth-bench`;
  const results: Record<string, PodStartResult | { error: string }> = {};
  try {
    let octet = 230;
    for (const runtime of runtimes.filter((r) => !values.only || values.only.split(',').includes(r.name))) {
      const network = cniTestNetwork(`bench-${runtime.name}`, octet++);
      let instance: { socket: string; stop(): Promise<void> } | undefined;
      let client: CriClient | undefined;
      try {
        instance = await runtime.start(registry.host, network.confDir);
        client = new CriClient({ endpoint: instance.socket });
        const image = `${registry.host}/busybox:latest`;
        await client.pullImage(image);
        process.stderr.write(`bench: ${runtime.name}: pod start…\n`);
        results[runtime.name] = await measurePodStart(client, {
          image,
          cgroupParent,
          sequentialPods: Number(values.sequential),
          concurrentPods: Number(values.concurrent),
          concurrency: Number(values.concurrency),
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        results[runtime.name] = { error: message };
        process.stderr.write(`bench: ${runtime.name} failed: ${message}\n`);
      } finally {
        client?.close();
        await instance?.stop();
        await network.remove();
      }
    }
  } finally {
    await registry.stop();
    removeCgroupPath(cgroupParent, started);
  }

  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryBytes: totalmem(), kernel: release() },
    podStart: results,
  };
  const outDir = join(packageRoot(), 'bench-results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);

  const row = (name: string): string => {
    const r = results[name];
    if (!r) return `${name.padEnd(11)} (not run)`;
    if ('error' in r) return `${name.padEnd(11)} failed: ${r.error}`;
    const s = r.sequential;
    return `${name.padEnd(11)} p50 ${s.total.p50.toFixed(0).padStart(5)} ms  p90 ${s.total.p90.toFixed(0).padStart(5)}  max ${s.total.max.toFixed(0).padStart(5)}  (sandbox ${s.sandbox.p50.toFixed(0)}, create ${s.create.p50.toFixed(0)}, start ${s.start.p50.toFixed(0)}; teardown p50 ${s.teardown.p50.toFixed(0)})  ${r.concurrent.pods} pods @${r.concurrent.concurrency}: ${(r.concurrent.wallMs / 1000).toFixed(2)} s wall, per pod p50 ${r.concurrent.perPod.p50.toFixed(0)} p99 ${r.concurrent.perPod.p99.toFixed(0)}`;
  };
  console.log('pod start (RunPodSandbox + CreateContainer + StartContainer, image present), sequential:');
  for (const name of Object.keys(results)) console.log(`  ${row(name)}`);
  const berth = results['berth'];
  const containerd = results['containerd'];
  if (berth && containerd && !('error' in berth) && !('error' in containerd)) {
    console.log(`  ratio berth/containerd: sequential p50 ${(berth.sequential.total.p50 / containerd.sequential.total.p50).toFixed(2)}, concurrent wall ${(berth.concurrent.wallMs / containerd.concurrent.wallMs).toFixed(2)}`);
  }
  console.log(`results: ${join(outDir, 'latest.json')}`);
}

await main();
