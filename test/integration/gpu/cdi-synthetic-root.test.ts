// The CDI path end to end on a synthetic NVIDIA host: generate the spec from discovery, write it
// into a run-time CDI dir beside another vendor's spec in a config dir, read both back, and apply
// a `--gpus device=1` request to an OCI spec. Device numbers are filled from the real nodes.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCdiRegistry, type CdiRegistry } from '../../../runtime/gpu/cdi/cdi-registry.js';
import { injectCdiDevices } from '../../../runtime/gpu/cdi/inject-devices.js';
import { nvidiaCdiSpec } from '../../../runtime/gpu/cdi/nvidia-spec.js';
import { requestedCdiDevices } from '../../../runtime/gpu/cdi/requested-devices.js';
import { loadCdiSpecs, writeCdiSpec } from '../../../runtime/gpu/cdi/spec-dirs.js';
import { discoverNvidia, type NvidiaDiscovery } from '../../../runtime/gpu/discover.js';
import { planGpuInjection } from '../../../runtime/gpu/gpu-injection.js';
import { parseGpuRequest } from '../../../runtime/gpu/gpus-flag.js';
import type { Spec } from '../../../runtime/oci/spec/runtime-spec.js';
import { requireRoot } from '../../harness/root.js';
import { createSyntheticGpuRoot, type SyntheticGpuRoot } from '../../harness/synthetic-gpu.js';

const run = promisify(execFile);

function baseSpec(): Spec {
  return {
    ociVersion: '1.0.2',
    process: { user: { uid: 0, gid: 0 }, args: ['sh'], env: ['PATH=/usr/bin:/bin', 'NVIDIA_VISIBLE_DEVICES=none'], cwd: '/' },
    root: { path: 'rootfs' },
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: { namespaces: [{ type: 'mount' }], resources: { devices: [{ allow: false, access: 'rwm' }] } },
  };
}

describe('CDI for a synthetic NVIDIA host', () => {
  let host: SyntheticGpuRoot;
  let discovery: NvidiaDiscovery;
  let dirs: { base: string; etc: string; run: string };
  let registry: CdiRegistry;
  let written: string;

  beforeAll(async () => {
    requireRoot('integration');
    host = await createSyntheticGpuRoot({ gpus: 2 });
    const base = await mkdtemp(join(tmpdir(), 'berth-cdi-'));
    dirs = { base, etc: join(base, 'etc/cdi'), run: join(base, 'run/cdi') };
    discovery = await discoverNvidia({ driverRoot: host.driverRoot, devRoot: host.devRoot });
    written = await writeCdiSpec(nvidiaCdiSpec(discovery), dirs.run);

    // Another vendor's spec, with a real node whose numbers the spec leaves out.
    await mkdir(dirs.etc, { recursive: true });
    await run('mknod', ['-m', '600', join(base, 'fpga0'), 'c', '240', '7']);
    await writeFile(
      join(dirs.etc, 'example-fpga.json'),
      JSON.stringify({
        cdiVersion: '0.6.0',
        kind: 'example.com/fpga',
        devices: [{ name: 'fpga0', containerEdits: { deviceNodes: [{ path: '/dev/fpga0', hostPath: join(base, 'fpga0'), permissions: 'rw' }] } }],
        containerEdits: { env: ['FPGA_VENDOR=example'] },
      }),
    );
    const loaded = await loadCdiSpecs([dirs.etc, dirs.run]);
    expect(loaded.errors).toEqual([]);
    registry = buildCdiRegistry(loaded.specs, [dirs.etc, dirs.run]);
  });

  afterAll(async () => {
    await host?.cleanup();
    if (dirs) await rm(dirs.base, { recursive: true, force: true });
  });

  it('writes the generated spec world-readable into the run-time CDI dir', async () => {
    expect(written).toBe(join(dirs.run, 'nvidia.com-gpu.json'));
    expect((await stat(written)).mode & 0o777).toBe(0o644);
    expect(JSON.parse(await readFile(written, 'utf8'))).toMatchObject({ cdiVersion: '1.0.0', kind: 'nvidia.com/gpu' });
  });

  it('reads back every device of both vendors', () => {
    expect(registry.deviceNames()).toEqual(
      ['example.com/fpga=fpga0', 'nvidia.com/gpu=0', 'nvidia.com/gpu=1', `nvidia.com/gpu=${host.gpus[0]?.uuid}`, `nvidia.com/gpu=${host.gpus[1]?.uuid}`, 'nvidia.com/gpu=all'].sort(),
    );
  });

  describe('applying --gpus device=1', () => {
    let spec: Spec;
    const nodes = () => spec.linux.devices ?? [];

    beforeAll(async () => {
      const plan = planGpuInjection(parseGpuRequest('device=1'), discovery);
      spec = await injectCdiDevices(baseSpec(), registry, plan);
    });

    it('adds exactly /dev/nvidia1 and the control nodes, with their host numbers', () => {
      expect(nodes().map((d) => [d.path, d.type, d.major, d.minor])).toEqual([
        ['/dev/nvidiactl', 'c', 195, 255],
        ['/dev/nvidia-modeset', 'c', 195, 254],
        ['/dev/nvidia-uvm', 'c', host.uvmMajor, 0],
        ['/dev/nvidia-uvm-tools', 'c', host.uvmMajor, 1],
        ['/dev/nvidia1', 'c', 195, 1],
      ]);
    });

    it('allows exactly those nodes in the device cgroup', () => {
      expect(spec.linux.resources?.devices).toEqual([{ allow: false, access: 'rwm' }, ...nodes().map((d) => ({ allow: true, type: 'c', major: d.major, minor: d.minor, access: 'rwm' }))]);
    });

    it('bind-mounts every library of the default capabilities read-only at its path and at its soname', () => {
      const libs = spec.mounts.filter((m) => m.destination.startsWith(`${host.libDir}/`));
      expect(libs.map((m) => m.destination)).toContain(`${host.libDir}/libcuda.so.1`);
      expect(libs.map((m) => m.destination)).toContain(`${host.libDir}/libcuda.so.${host.driverVersion}`);
      // utility and compute: 5 of the 7 libraries; libnvidia-encode (video) and libGLX_nvidia (graphics) stay out.
      expect(libs).toHaveLength(10);
      expect(libs.map((m) => m.destination).filter((d) => /libnvidia-encode|libGLX_nvidia/.test(d))).toEqual([]);
      for (const m of libs) {
        expect(m.type).toBe('bind');
        expect(m.options).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'bind']));
        expect(m.source?.startsWith(host.driverRoot)).toBe(true);
      }
      expect(spec.mounts.find((m) => m.destination === '/usr/bin/nvidia-smi')?.options).toContain('ro');
    });

    it('sets NVIDIA_VISIBLE_DEVICES to the chosen GPU and the default capabilities', () => {
      expect(spec.process.env).toEqual(['PATH=/usr/bin:/bin', `NVIDIA_VISIBLE_DEVICES=${host.gpus[1]?.uuid}`, 'NVIDIA_DRIVER_CAPABILITIES=utility,compute']);
    });
  });

  it('applies an NVIDIA GPU and another vendor device asked for through CRI annotations', async () => {
    const names = requestedCdiDevices([{ name: 'nvidia.com/gpu=0' }], { 'cdi.k8s.io/fpga': 'example.com/fpga=fpga0' });
    const spec = await injectCdiDevices(baseSpec(), registry, { cdiDevices: names });
    expect(spec.linux.devices?.map((d) => [d.path, d.major, d.minor])).toContainEqual(['/dev/fpga0', 240, 7]);
    expect(spec.linux.devices?.map((d) => d.path)).toContain('/dev/nvidia0');
    expect(spec.linux.resources?.devices).toContainEqual({ allow: true, type: 'c', major: 240, minor: 7, access: 'rw' });
    expect(spec.process.env).toContain('FPGA_VENDOR=example');
  });

  it('lets a spec in the run-time dir override a device of the same name in the config dir', async () => {
    await writeFile(join(dirs.etc, 'stale-nvidia.json'), JSON.stringify({ cdiVersion: '0.6.0', kind: 'nvidia.com/gpu', devices: [{ name: '0', containerEdits: { env: ['STALE=1'] } }] }));
    try {
      const loaded = await loadCdiSpecs([dirs.etc, dirs.run]);
      const spec = await injectCdiDevices(baseSpec(), buildCdiRegistry(loaded.specs), { cdiDevices: ['nvidia.com/gpu=0'] });
      expect(spec.process.env).not.toContain('STALE=1');
      expect(spec.linux.devices?.map((d) => d.path)).toContain('/dev/nvidia0');
    } finally {
      await rm(join(dirs.etc, 'stale-nvidia.json'));
    }
  });
});
