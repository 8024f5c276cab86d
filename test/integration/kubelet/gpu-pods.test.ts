// nvidia.com/gpu through berth's kubelet: a real berth on a synthetic NVIDIA host (two GPUs,
// test/harness/synthetic-gpu.ts) writes its CDI spec; the standalone kubelet counts the GPUs in
// it, gives each container that asks for one a GPU no other pod holds (CRI CDI_devices), and
// refuses a pod once none is left (OutOfnvidia.com/gpu).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ownMemoryCgroup, removeCgroupPath } from '../../../bench/cgroups.js';
import { createLogger } from '../../../common/logger.js';
import { CriClient } from '../../../cri/client/cri-client.js';
import { startKubelet, type Kubelet } from '../../../kubelet/kubelet.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';
import { createSyntheticGpuRoot, type SyntheticGpuRoot } from '../../harness/synthetic-gpu.js';
import { standaloneKubeletConfig } from './suite-runtimes.js';
import { eventually } from '../../harness/eventually.js';

const registryHost = inject('registryHost');
const since = Date.now();
const cgroupParent = `${ownMemoryCgroup()}/berth-kubelet-gpu`;
let work = '';
let host: SyntheticGpuRoot | undefined;
let network: CniTestNetwork | undefined;
let berth: Berth | undefined;
let cri: CriClient | undefined;
let kubelet: Kubelet | undefined;

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
  work = mkdtempSync(join(tmpdir(), 'berth-kubelet-gpu-'));
  const manifests = join(work, 'manifests');
  const cdiDir = join(work, 'cdi');
  mkdirSync(manifests);
  mkdirSync(cdiDir);
  host = await createSyntheticGpuRoot({ gpus: 2 });
  network = cniTestNetwork('kubelet-gpu', 211);
  berth = await startBerth({
    args: ['--insecure-registry', registryHost, '--cni-conf-dir', network.confDir, '--gpu-driver-root', host.driverRoot, '--gpu-device-root', host.devRoot, '--cdi-spec-dir', cdiDir],
  });
  cri = new CriClient({ endpoint: berth.socket });
  for (const name of ['gpu-a', 'gpu-b', 'gpu-c']) writeFileSync(join(manifests, `${name}.json`), gpuPod(name));
  kubelet = await startKubelet(
    standaloneKubeletConfig({ nodeName: 'gpu-node', manifests, runtimeEndpoint: berth.socket, workDir: work, cgroupParent, cdiSpecDirs: [cdiDir] }),
    { logger: createLogger('warn') },
  );
});

afterAll(async () => {
  await kubelet?.stop();
  for (const sandbox of (await cri?.listPodSandbox().catch(() => ({ items: [] })))?.items ?? []) {
    await cri?.stopPodSandbox(sandbox.id).catch(() => undefined);
    await cri?.removePodSandbox(sandbox.id).catch(() => undefined);
  }
  cri?.close();
  await berth?.stop();
  await network?.remove();
  removeCgroupPath(cgroupParent, since);
  // berth's runtime anchors the same parent below its own cgroup in the memory hierarchy.
  removeCgroupPath(`${ownMemoryCgroup()}${cgroupParent}`, since);
  await host?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('nvidia.com/gpu through the kubelet', () => {
  it('gives two pods one GPU each, never the same one, and refuses the third', async () => {
    const running = await eventually(async () => {
      const listed = (await cri?.listContainers({ state: { state: 'CONTAINER_RUNNING' } }))?.containers ?? [];
      return listed.length >= 2 ? listed : undefined;
    });
    const seen = new Map<string, string>();
    for (const container of running) {
      const result = await cri?.execSync(container.id, ['sh', '-c', 'ls /dev | grep -E "^nvidia[0-9]+$"'], 10);
      seen.set(container.labels['io.kubernetes.pod.name'] ?? '', Buffer.from(result?.stdout ?? []).toString().trim());
    }
    const devices = [...seen.values()];
    expect(devices.every((d) => /^nvidia\d+$/.test(d))).toBe(true);
    expect(new Set(devices).size).toBe(2);
    // The kubelet's assignment rides on the container, so a restarted kubelet finds it.
    expect(running.every((c) => /^nvidia\.com\/gpu=\d$/.test(c.annotations['berth.dev/kubelet-cdi-devices'] ?? ''))).toBe(true);
    // Both GPUs are taken: the third pod is refused at admission and never gets a sandbox.
    const refused = await eventually(async () => {
      const loop = kubelet?.syncLoop;
      const uids = [...(loop?.desiredPods().values() ?? [])].map((pod) => pod.metadata?.uid ?? '');
      const rejections = uids.map((uid) => loop?.worker(uid)?.desired.rejection).filter((r) => r !== undefined);
      return rejections.length > 0 ? rejections : undefined;
    });
    expect(refused).toEqual([expect.objectContaining({ reason: 'OutOfnvidia.com/gpu' })]);
    const pods = new Set(((await cri?.listPodSandbox())?.items ?? []).map((s) => s.labels['io.kubernetes.pod.name']));
    expect(pods.size).toBe(2);
    expect([...seen.keys()].sort()).toEqual([...pods].sort());
  });
});
