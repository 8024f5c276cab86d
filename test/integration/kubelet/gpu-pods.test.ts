// nvidia.com/gpu through berth's kubelet: a real berth on a synthetic NVIDIA host (two GPUs,
// test/harness/synthetic-gpu.ts) writes its CDI spec; the standalone kubelet counts the GPUs in
// it, gives each container that asks for one a GPU no other pod holds (CRI CDI_devices), and
// refuses a pod once none is left (OutOfnvidia.com/gpu).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSyntheticGpuRoot, gpuRootArgs, type SyntheticGpuRoot } from '../../harness/synthetic-gpu.js';
import { eventually } from '../../harness/eventually.js';
import { startStandaloneBerthNode, type StandaloneBerthNode } from './standalone-berth-node.js';

const registryHost = inject('registryHost');
let host: SyntheticGpuRoot | undefined;
let node: StandaloneBerthNode | undefined;

function gpuPod(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: `${registryHost}/busybox:latest`, command: ['sleep', '3600'], resources: { limits: { 'nvidia.com/gpu': '1' } } }],
    },
  });
}

beforeAll(async () => {
  const gpus = await createSyntheticGpuRoot({ gpus: 2 });
  host = gpus;
  node = await startStandaloneBerthNode({
    name: 'gpu',
    registryHost,
    cniOctet: 211,
    berthArgs: (work) => {
      mkdirSync(join(work, 'cdi'));
      return [...gpuRootArgs(gpus), '--cdi-spec-dir', join(work, 'cdi')];
    },
    kubelet: (work) => ({ cdiSpecDirs: [join(work, 'cdi')] }),
  });
  for (const name of ['gpu-a', 'gpu-b', 'gpu-c']) writeFileSync(join(node.manifests, `${name}.json`), gpuPod(name));
});

afterAll(async () => {
  await node?.stop();
  await host?.cleanup();
});

describe('nvidia.com/gpu through the kubelet', () => {
  it('gives two pods one GPU each, never the same one, and refuses the third', async () => {
    const running = await eventually(async () => {
      const listed = (await node?.cri.listContainers({ state: { state: 'CONTAINER_RUNNING' } }))?.containers ?? [];
      return listed.length >= 2 ? listed : undefined;
    });
    const seen = new Map<string, string>();
    for (const container of running) {
      const result = await node?.cri.execSync(container.id, ['sh', '-c', 'ls /dev | grep -E "^nvidia[0-9]+$"'], 10);
      seen.set(
        container.labels['io.kubernetes.pod.name'] ?? '',
        Buffer.from(result?.stdout ?? [])
          .toString()
          .trim(),
      );
    }
    const devices = [...seen.values()];
    expect(devices.every((d) => /^nvidia\d+$/.test(d))).toBe(true);
    expect(new Set(devices).size).toBe(2);
    // The kubelet's assignment rides on the container, so a restarted kubelet finds it.
    expect(running.every((c) => /^nvidia\.com\/gpu=\d$/.test(c.annotations['berth.dev/kubelet-cdi-devices'] ?? ''))).toBe(true);
    // Both GPUs are taken: the third pod is refused at admission and never gets a sandbox.
    const refused = await eventually(async () => {
      const rejections = node?.rejections() ?? [];
      return rejections.length > 0 ? rejections : undefined;
    });
    expect(refused).toEqual([expect.objectContaining({ reason: 'OutOfnvidia.com/gpu' })]);
    const pods = new Set(((await node?.cri.listPodSandbox())?.items ?? []).map((s) => s.labels['io.kubernetes.pod.name']));
    expect(pods.size).toBe(2);
    expect([...seen.keys()].sort()).toEqual([...pods].sort());
  });
});
