// The GPU injection as a container sees it, with the real runc and a synthetic NVIDIA host: a
// busybox bundle whose spec got `--gpus device=1` through CDI. No GPU driver exists here, so an
// allowed node opens with ENXIO ("No such device or address") while GPU 0's node, bind-mounted
// in behind CDI's back, fails with EPERM because the device cgroup refuses it: that difference
// proves the allow rules are exactly right.
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCdiRegistry } from '../../../runtime/gpu/cdi/cdi-registry.js';
import { injectCdiDevices } from '../../../runtime/gpu/cdi/inject-devices.js';
import { nvidiaCdiSpec } from '../../../runtime/gpu/cdi/nvidia-spec.js';
import { loadCdiSpecs, writeCdiSpec } from '../../../runtime/gpu/cdi/spec-dirs.js';
import { discoverNvidia } from '../../../runtime/gpu/discover.js';
import { planGpuInjection } from '../../../runtime/gpu/gpu-injection.js';
import { parseGpuRequest } from '../../../runtime/gpu/gpus-flag.js';
import type { Spec } from '../../../runtime/oci/spec/runtime-spec.js';
import { removeTestCgroupParents } from '../../harness/cgroups.js';
import { requireRoot } from '../../harness/root.js';
import { createSyntheticGpuRoot, type SyntheticGpuRoot } from '../../harness/synthetic-gpu.js';
import { seededOciLayout } from '../../harness/tools.js';

const cgroupParent = 'berth-test-gpu';

describe('a runc container given --gpus device=1 through CDI on a synthetic NVIDIA host', () => {
  let host: SyntheticGpuRoot;
  let work: string;
  let output = '';
  const containerId = `berth-gpu-${process.pid}`;

  beforeAll(async () => {
    requireRoot('integration');
    host = await createSyntheticGpuRoot({ gpus: 2 });
    work = await mkdtemp(join(tmpdir(), 'berth-gpu-runc-'));
    const discovery = await discoverNvidia({ driverRoot: host.driverRoot, devRoot: host.devRoot });
    const cdiDir = join(work, 'cdi');
    await writeCdiSpec(nvidiaCdiSpec(discovery), cdiDir);
    const registry = buildCdiRegistry((await loadCdiSpecs([cdiDir])).specs);

    const bundle = join(work, 'bundle');
    await execa('umoci', ['unpack', '--image', `${seededOciLayout()}:busybox`, bundle]);
    const configPath = join(bundle, 'config.json');
    const spec = JSON.parse(await readFile(configPath, 'utf8')) as Spec;
    spec.process.terminal = false;
    spec.linux.cgroupsPath = `${cgroupParent}/${containerId}`;
    spec.process.args = [
      'sh',
      '-c',
      [
        'ls -ln /dev | grep nvidia',
        'cat /dev/nvidia1 2>&1',
        'cat /dev/nvidiactl 2>&1',
        'cat /smuggled-nvidia0 2>&1',
        `echo x 2>&1 > ${host.libDir}/libcuda.so.1 || echo libcuda-write-refused`,
        `grep -c libcuda /proc/self/mountinfo`,
        '/usr/bin/nvidia-smi',
        'env | grep ^NVIDIA_ | sort',
        'true',
      ].join('; '),
    ];
    // GPU 0's node, smuggled in past CDI: only the device cgroup stands between it and the container.
    spec.mounts.push({ destination: '/smuggled-nvidia0', type: 'bind', source: join(host.devRoot, 'dev/nvidia0'), options: ['bind'] });
    const plan = planGpuInjection(parseGpuRequest('device=1'), discovery.gpus);
    await writeFile(configPath, JSON.stringify(await injectCdiDevices(spec, registry, plan)));

    const result = await execa('runc', ['--root', join(work, 'runc'), 'run', '--bundle', bundle, containerId], {
      timeout: 60_000,
      stdin: 'ignore',
      all: true,
      reject: false,
    });
    output = result.all ?? '';
    expect(result.exitCode, output).toBe(0);
  });

  afterAll(async () => {
    if (work) {
      await execa('runc', ['--root', join(work, 'runc'), 'delete', '--force', containerId], { reject: false });
      await rm(work, { recursive: true, force: true });
    }
    removeTestCgroupParents(cgroupParent);
    await host?.cleanup();
  });

  const nodeLines = () =>
    output
      .split('\n')
      .filter((l) => /^c[rwx-]{9}/.test(l))
      .map((l) => l.split(/\s+/))
      .map((f) => `${f.at(-1)} ${f[4]}${f[5]}`)
      .sort();

  it('sees exactly /dev/nvidia1 and the control nodes, with the host numbers', () => {
    expect(nodeLines()).toEqual(
      [
        'nvidia-modeset 195,254',
        'nvidia-uvm 506,0',
        'nvidia-uvm-tools 506,1',
        'nvidia1 195,1',
        'nvidiactl 195,255',
      ].map((l) => l.replace('506', String(host.uvmMajor))).sort(),
    );
  });

  it('may open the injected nodes (the missing driver answers ENXIO) but not another GPU (EPERM)', () => {
    expect(output).toContain("cat: can't open '/dev/nvidia1': No such device or address");
    expect(output).toContain("cat: can't open '/dev/nvidiactl': No such device or address");
    expect(output).toContain("cat: can't open '/smuggled-nvidia0': Operation not permitted");
  });

  it('mounts the driver libraries read-only and runs the injected nvidia-smi', () => {
    expect(output).toContain('libcuda-write-refused');
    expect(output).toMatch(/^2$/m);
    expect(output).toContain('nvidia-smi (synthetic)');
  });

  it('sets the NVIDIA variables of the request', () => {
    expect(output).toContain(`NVIDIA_DRIVER_CAPABILITIES=utility,compute\nNVIDIA_VISIBLE_DEVICES=${host.gpus[1]?.uuid}`);
  });
});
