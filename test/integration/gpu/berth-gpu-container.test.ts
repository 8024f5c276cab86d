// GPUs through the CRI: a real berth on a synthetic NVIDIA host (test/harness/synthetic-gpu.ts)
// writes the CDI spec of the GPUs it finds, and CreateContainer applies `berth.dev/gpus`
// (docker's --gpus syntax), the CRI CDI_devices field and cdi.k8s.io annotations (any vendor's
// spec); busybox containers run by the real runc report what they see, read through the real
// crictl. Bad requests are refused with their reason before anything is created.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CriClient, CriCallError } from '../../../cri/client/cri-client.js';
import type { ContainerConfig, PodSandboxConfig } from '../../../api/cri/messages.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { removeTestCgroupParents } from '../../harness/cgroups.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';
import { createSyntheticGpuRoot, gpuRootArgs, type SyntheticGpuRoot } from '../../harness/synthetic-gpu.js';

const registry = inject('registryHost');
const image = `${registry}/busybox:latest`;
let host: SyntheticGpuRoot;
let work = '';
let berth: Berth;
let network: CniTestNetwork;
let client: CriClient;
let podId = '';
const pod: PodSandboxConfig = { metadata: { name: 'gpu', namespace: 'default', uid: 'gpu-uid', attempt: 0 }, linux: {}, logDirectory: '' };

beforeAll(async () => {
  // The driver where GKE-style hosts keep it: libraries in a directory that neither the host's
  // loader cache nor any image's lists, nvidia-smi off the standard PATH.
  host = await createSyntheticGpuRoot({ gpus: 2, outsideLoaderCache: true });
  work = await mkdtemp(join(tmpdir(), 'berth-cdi-'));
  pod.logDirectory = join(work, 'logs');
  // Another vendor's spec in the config dir, with a real node whose numbers it leaves out.
  await mkdir(join(work, 'etc-cdi'));
  await execa('mknod', ['-m', '600', join(work, 'fpga0'), 'c', '240', '7']);
  await writeFile(
    join(work, 'etc-cdi', 'example-fpga.json'),
    JSON.stringify({
      cdiVersion: '0.6.0',
      kind: 'example.com/fpga',
      devices: [{ name: 'fpga0', containerEdits: { deviceNodes: [{ path: '/dev/fpga0', hostPath: join(work, 'fpga0'), permissions: 'rw' }] } }],
      containerEdits: { env: ['FPGA_VENDOR=example'] },
    }),
  );
  network = cniTestNetwork('gpu', 234);
  berth = await startBerth({
    args: ['--insecure-registry', registry, '--cni-conf-dir', network.confDir, ...gpuRootArgs(host), '--cdi-spec-dir', join(work, 'etc-cdi'), '--cdi-spec-dir', join(work, 'run-cdi')],
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
  if (work) await rm(work, { recursive: true, force: true });
});

/** What a container reports: its device nodes, what opening them gives, the driver files and the variables. */
const probe = () => [
  'sh',
  '-c',
  [
    'ls -ln /dev | grep -E "nvidia|fpga"',
    'for node in /dev/nvidia[0-9]* /dev/nvidiactl /smuggled-nvidia0; do [ -e $node ] && cat $node; done 2>&1',
    `echo x 2>/dev/null > ${host.libDir}/libcuda.so.1 || echo libcuda-write-refused`,
    'echo "libcuda mounts: $(grep -c libcuda /proc/self/mountinfo)"',
    // The loader's answer for the soname (/bin/sh is the image's one dynamically linked binary).
    'LD_TRACE_LOADED_OBJECTS=1 LD_PRELOAD=libcuda.so.1 /bin/sh 2>&1 | grep libcuda',
    '[ -x /usr/bin/nvidia-smi ] && /usr/bin/nvidia-smi',
    'env | grep -E "^(NVIDIA|FPGA)_" | sort',
    'true',
  ].join('; '),
];

async function runToCompletion(name: string, extra: Partial<ContainerConfig>): Promise<string> {
  const { containerId } = await client.createContainer(podId, { metadata: { name }, image: { image }, command: probe(), logPath: `${name}.log`, ...extra }, pod);
  await client.startContainer(containerId);
  for (let i = 0; i < 100; i++) {
    if ((await client.containerStatus(containerId)).status?.state === 'CONTAINER_EXITED') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return berth.crictl('logs', containerId);
}

/** "name major,minor" of each character device the container lists, sorted. */
const deviceNodes = (output: string): string[] =>
  output
    .split('\n')
    .filter((l) => /^c[rwx-]{9}/.test(l))
    .map((l) => l.split(/\s+/))
    .map((f) => `${f.at(-1)} ${f[4]}${f[5]}`)
    .sort();

const controlNodes = () => ['nvidia-modeset 195,254', `nvidia-uvm ${host.uvmMajor},0`, `nvidia-uvm-tools ${host.uvmMajor},1`, 'nvidiactl 195,255'];
const withControls = (...gpuNodes: string[]) => [...gpuNodes, ...controlNodes()].sort();

async function refusal(name: string, extra: Partial<ContainerConfig>): Promise<CriCallError> {
  const error: unknown = await client.createContainer(podId, { metadata: { name }, image: { image }, command: probe(), ...extra }, pod).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CriCallError);
  return error as CriCallError;
}

describe('GPUs for containers through the CRI', () => {
  it('writes the CDI spec of the GPUs it found into the last CDI dir', async () => {
    const spec = JSON.parse(await readFile(join(work, 'run-cdi', 'nvidia.com-gpu.json'), 'utf8')) as { kind: string; devices: { name: string }[] };
    expect(spec.kind).toBe('nvidia.com/gpu');
    expect(spec.devices.map((d) => d.name).sort()).toEqual(['0', '1', 'all', host.gpus[0]?.uuid, host.gpus[1]?.uuid].sort());
  });

  describe('berth.dev/gpus: device=1', () => {
    let output = '';
    beforeAll(async () => {
      output = await runToCompletion('device-1', {
        annotations: { 'berth.dev/gpus': 'device=1' },
        // GPU 0's node, smuggled in past CDI: only the device cgroup stands between it and the container.
        mounts: [{ containerPath: '/smuggled-nvidia0', hostPath: join(host.devRoot, 'dev/nvidia0') }],
      });
    });

    it('sees exactly /dev/nvidia1 and the control nodes, with the host numbers', () => {
      expect(deviceNodes(output)).toEqual(withControls('nvidia1 195,1'));
    });

    it('may open the injected nodes (the missing driver answers ENXIO) but not the other GPU (EPERM): the device cgroup allows exactly those', () => {
      expect(output).toContain("cat: can't open '/dev/nvidia1': No such device or address");
      expect(output).toContain("cat: can't open '/dev/nvidiactl': No such device or address");
      expect(output).toContain("cat: can't open '/smuggled-nvidia0': Operation not permitted");
    });

    it('mounts the driver libraries read-only, at the file and at its soname, and runs the injected nvidia-smi', () => {
      expect(output).toContain('libcuda-write-refused');
      expect(output).toContain('libcuda mounts: 2');
      expect(output).toContain('nvidia-smi (synthetic)');
    });

    it('adds the driver directory to the container’s ld.so.cache, so libcuda.so.1 resolves by soname', () => {
      expect(output).toMatch(/^\s*libcuda\.so\.1 => \/usr\/local\/nvidia\/lib64\/libcuda\.so\.1 \(0x[0-9a-f]+\)$/m);
    });

    it('sets the NVIDIA variables of the request', () => {
      expect(output).toContain(`NVIDIA_DRIVER_CAPABILITIES=utility,compute\nNVIDIA_VISIBLE_DEVICES=${host.gpus[1]?.uuid}`);
    });
  });

  it('gives every GPU for all and the first N for a count', async () => {
    const all = await runToCompletion('all', { annotations: { 'berth.dev/gpus': 'all' } });
    expect(deviceNodes(all)).toEqual(withControls('nvidia0 195,0', 'nvidia1 195,1'));
    expect(all).toContain('NVIDIA_VISIBLE_DEVICES=all');
    const two = await runToCompletion('count-2', { annotations: { 'berth.dev/gpus': '2' } });
    expect(deviceNodes(two)).toEqual(withControls('nvidia0 195,0', 'nvidia1 195,1'));
    expect(two).toContain(`NVIDIA_VISIBLE_DEVICES=${host.gpus[0]?.uuid},${host.gpus[1]?.uuid}`);
  });

  it('updates the ld.so.cache of a container whose root is read-only too (the hook runs before runc makes it read-only)', async () => {
    const output = await runToCompletion('read-only-root', {
      annotations: { 'berth.dev/gpus': 'device=0' },
      linux: { securityContext: { readonlyRootfs: true } },
    });
    expect(output).toMatch(/^\s*libcuda\.so\.1 => \/usr\/local\/nvidia\/lib64\/libcuda\.so\.1 \(0x[0-9a-f]+\)$/m);
  });

  it('applies the capabilities asked for: utility alone brings nvidia-ml but not libcuda', async () => {
    const output = await runToCompletion('utility', { annotations: { 'berth.dev/gpus': '"device=0","capabilities=utility"' } });
    expect(deviceNodes(output)).toEqual(withControls('nvidia0 195,0'));
    expect(output).toContain('libcuda mounts: 0');
    expect(output).toContain("object 'libcuda.so.1' from LD_PRELOAD cannot be preloaded");
    expect(output).toContain('NVIDIA_DRIVER_CAPABILITIES=utility\n');
  });

  it('applies CDI devices named in the CRI CDI_devices field', async () => {
    const output = await runToCompletion('by-cdi-field', { CDIDevices: [{ name: 'nvidia.com/gpu=0' }] });
    expect(deviceNodes(output)).toEqual(withControls('nvidia0 195,0'));
  });

  it('applies another vendor’s CDI device asked for in a cdi.k8s.io annotation, beside a GPU', async () => {
    const output = await runToCompletion('fpga', {
      annotations: { 'cdi.k8s.io/fpga': 'example.com/fpga=fpga0', 'berth.dev/gpus': 'device=1' },
    });
    expect(deviceNodes(output)).toEqual(withControls('fpga0 240,7', 'nvidia1 195,1'));
    expect(output).toContain('FPGA_VENDOR=example');
  });

  it('gives a container without a request no GPU and no driver library', async () => {
    const output = await runToCompletion('no-gpu', {});
    expect(deviceNodes(output)).toEqual([]);
    expect(output).toContain("object 'libcuda.so.1' from LD_PRELOAD cannot be preloaded");
  });

  it('refuses bad --gpus syntax, naming the annotation', async () => {
    const error = await refusal('bad-syntax', { annotations: { 'berth.dev/gpus': 'device=gpu0' } });
    expect(error.grpcCode).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(error.message).toContain('annotation berth.dev/gpus "device=gpu0": device "gpu0" is neither a GPU index nor a GPU-<uuid>');
  });

  it('refuses more GPUs than the node has, saying how many exist', async () => {
    const error = await refusal('too-many', { annotations: { 'berth.dev/gpus': '3' } });
    expect(error.grpcCode).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(error.message).toContain('3 GPUs were requested but this node has 2 GPUs');
  });

  it('refuses a GPU that does not exist and an unknown CDI device', async () => {
    const noSuchGpu = await refusal('gpu-7', { annotations: { 'berth.dev/gpus': 'device=7' } });
    expect(noSuchGpu.grpcCode).toBe(GrpcStatus.NOT_FOUND);
    expect(noSuchGpu.message).toContain('GPU index 7 does not exist: this node has 2 GPUs (indexes 0-1)');
    const unknown = await refusal('unknown-cdi', { CDIDevices: [{ name: 'example.com/fpga=9' }] });
    expect(unknown.message).toMatch(/example\.com\/fpga=9/);
  });

  it('created nothing for the refused requests', async () => {
    const names = (await client.listContainers({ podSandboxId: podId })).containers.map((c) => c.metadata?.name ?? '');
    expect(names).toContain('device-1');
    expect(names.filter((n) => ['bad-syntax', 'too-many', 'gpu-7', 'unknown-cdi'].includes(n))).toEqual([]);
  });
});
