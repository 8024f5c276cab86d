// GPUs through the CRI: a real berth on a synthetic NVIDIA host (test/harness/synthetic-gpu.ts)
// writes the CDI spec of the GPUs it finds, and CreateContainer applies `berth.dev/gpus`
// (docker's --gpus syntax) and the CRI CDI_devices field; the real crictl shows what the
// container sees. Bad requests are refused before anything is created.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CriClient, CriCallError } from '../../../cri/client/cri-client.js';
import type { ContainerConfig, PodSandboxConfig } from '../../../cri/api/messages.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { removeTestCgroupParents } from '../../harness/cgroups.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';
import { createSyntheticGpuRoot, type SyntheticGpuRoot } from '../../harness/synthetic-gpu.js';

const registry = inject('registryHost');
const image = `${registry}/busybox:latest`;
let host: SyntheticGpuRoot;
let cdiDir = '';
let berth: Berth;
let network: CniTestNetwork;
let client: CriClient;
let podId = '';
const pod: PodSandboxConfig = { metadata: { name: 'gpu', namespace: 'default', uid: 'gpu-uid', attempt: 0 }, linux: {}, logDirectory: '' };

beforeAll(async () => {
  host = await createSyntheticGpuRoot({ gpus: 2 });
  cdiDir = await mkdtemp(join(tmpdir(), 'berth-cdi-'));
  pod.logDirectory = join(cdiDir, 'logs');
  network = cniTestNetwork('gpu', 234);
  berth = await startBerth({
    args: [
      '--insecure-registry', registry,
      '--cni-conf-dir', network.confDir,
      '--gpu-driver-root', host.driverRoot,
      '--gpu-device-root', host.devRoot,
      '--cdi-spec-dir', cdiDir,
    ],
  });
  client = new CriClient({ endpoint: berth.socket });
  await client.pullImage(image);
  podId = (await client.runPodSandbox(pod)).podSandboxId;
});

afterAll(async () => {
  await client?.stopPodSandbox(podId).catch(() => undefined);
  await client?.removePodSandbox(podId).catch(() => undefined);
  client?.close();
  await berth?.stop();
  await network?.remove();
  removeTestCgroupParents('berth');
  await host?.cleanup();
  await rm(cdiDir, { recursive: true, force: true });
});

const probe = ['sh', '-c', 'ls -ln /dev | grep nvidia; env | grep ^NVIDIA_ | sort; /usr/bin/nvidia-smi; true'];

async function runToCompletion(name: string, extra: Partial<ContainerConfig>): Promise<string> {
  const { containerId } = await client.createContainer(podId, { metadata: { name }, image: { image }, command: probe, logPath: `${name}.log`, ...extra }, pod);
  await client.startContainer(containerId);
  for (let i = 0; i < 100; i++) {
    if ((await client.containerStatus(containerId)).status?.state === 'CONTAINER_EXITED') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return berth.crictl('logs', containerId);
}

const gpuNodes = (output: string): string[] =>
  output
    .split('\n')
    .filter((l) => /^c[rwx-]{9}/.test(l))
    .map((l) => l.split(/\s+/))
    .filter((f) => /^nvidia\d+$/.test(f.at(-1) ?? ''))
    .map((f) => `${f.at(-1)} ${f[4]}${f[5]}`);

describe('GPUs for containers through the CRI', () => {
  it('writes the CDI spec of the GPUs it found', async () => {
    const spec = JSON.parse(await readFile(join(cdiDir, 'nvidia.com-gpu.json'), 'utf8')) as { kind: string; devices: { name: string }[] };
    expect(spec.kind).toBe('nvidia.com/gpu');
    expect(spec.devices.map((d) => d.name)).toEqual(expect.arrayContaining(['0', '1', 'all', host.gpus[0]?.uuid, host.gpus[1]?.uuid]));
  });

  it('gives a container the GPU named by berth.dev/gpus, with the NVIDIA variables and driver files', async () => {
    const output = await runToCompletion('by-annotation', { annotations: { 'berth.dev/gpus': 'device=1' } });
    expect(gpuNodes(output)).toEqual(['nvidia1 195,1']);
    expect(output).toContain(`NVIDIA_VISIBLE_DEVICES=${host.gpus[1]?.uuid}`);
    expect(output).toContain('NVIDIA_DRIVER_CAPABILITIES=utility,compute');
    expect(output).toContain('nvidia-smi (synthetic)');
  });

  it('applies CDI devices named in the CRI CDI_devices field', async () => {
    const output = await runToCompletion('by-cdi-field', { CDIDevices: [{ name: 'nvidia.com/gpu=0' }] });
    expect(gpuNodes(output)).toEqual(['nvidia0 195,0']);
  });

  it('gives a container without a request no GPU', async () => {
    expect(gpuNodes(await runToCompletion('no-gpu', {}))).toEqual([]);
  });

  it('refuses a GPU that does not exist and an unknown CDI device', async () => {
    const create = (name: string, extra: Partial<ContainerConfig>) =>
      client.createContainer(podId, { metadata: { name }, image: { image }, command: probe, ...extra }, pod).then(
        () => undefined,
        (error: unknown) => error,
      );
    const noSuchGpu = await create('gpu-7', { annotations: { 'berth.dev/gpus': 'device=7' } });
    expect(noSuchGpu).toBeInstanceOf(CriCallError);
    expect((noSuchGpu as CriCallError).message).toMatch(/7/);
    const unknown = await create('unknown-cdi', { CDIDevices: [{ name: 'example.com/fpga=9' }] });
    expect(unknown).toBeInstanceOf(CriCallError);
    expect((unknown as CriCallError).message).toMatch(/example\.com\/fpga=9/);
  });
});
