// Discovery against a synthetic NVIDIA host: real char device nodes (mknod), a real ld.so.cache
// (ldconfig -r), fake proc/sysfs files. No GPU is needed or touched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverNvidia, type NvidiaDiscovery } from '../../../runtime/gpu/discover.js';
import { requireRoot } from '../../harness/root.js';
import { createSyntheticGpuRoot, type SyntheticGpuRoot } from '../../harness/synthetic-gpu.js';

describe('discoverNvidia on a synthetic driver and device root', () => {
  let host: SyntheticGpuRoot;
  let found: NvidiaDiscovery;

  beforeAll(async () => {
    requireRoot('integration');
    host = await createSyntheticGpuRoot({ gpus: 3 });
    found = await discoverNvidia({ driverRoot: host.driverRoot, devRoot: host.devRoot });
  });

  afterAll(async () => {
    await host?.cleanup();
  });

  it('reads the majors of nvidia, nvidia-uvm and nvidia-caps from /proc/devices', () => {
    expect(found.majors).toEqual({ nvidia: 195, uvm: host.uvmMajor, caps: host.capsMajor });
  });

  it('finds exactly the GPUs of the information files, indexed in bus order', () => {
    expect(found.gpus.map(({ index, minor, uuid, busId, model }) => ({ index, minor, uuid, busId, model }))).toEqual(host.gpus);
  });

  it('reads each GPU node as a character device 195:<minor>', () => {
    expect(found.gpus.map((g) => [g.node.path, g.node.hostPath, g.node.type, g.node.major, g.node.minor])).toEqual(
      host.gpus.map((g) => [`/dev/nvidia${g.minor}`, `${host.devRoot}/dev/nvidia${g.minor}`, 'c', 195, g.minor]),
    );
  });

  it('reads the control nodes with their real numbers', () => {
    expect(found.controlNodes.map((n) => [n.path, n.type, n.major, n.minor])).toEqual([
      ['/dev/nvidiactl', 'c', 195, 255],
      ['/dev/nvidia-modeset', 'c', 195, 254],
      ['/dev/nvidia-uvm', 'c', host.uvmMajor, 0],
      ['/dev/nvidia-uvm-tools', 'c', host.uvmMajor, 1],
    ]);
  });

  it('lists the MIG capability nodes under the nvidia-caps major', () => {
    expect(found.capabilityNodes.map((n) => [n.path, n.major, n.minor])).toEqual([
      ['/dev/nvidia-caps/nvidia-cap1', host.capsMajor, 1],
      ['/dev/nvidia-caps/nvidia-cap2', host.capsMajor, 2],
    ]);
  });

  it('counts only display and 3D controllers among the NVIDIA PCI functions', () => {
    expect(found.pciBusIds).toEqual(host.gpus.map((g) => g.busId));
  });

  it('takes the driver version from the libcuda suffix', () => {
    expect(found.driver.version).toBe(host.driverVersion);
  });

  it('finds the driver libraries through the ld.so.cache, each with its soname link, by capability', () => {
    const v = host.driverVersion;
    const lib = host.libDir;
    const libs = found.driver.libraries.map((l) => [l.capability, l.path, l.links]).sort();
    expect(libs).toEqual(
      [
        ['compute', `${lib}/libcuda.so.${v}`, [`${lib}/libcuda.so.1`]],
        ['compute', `${lib}/libnvidia-nvvm.so.${v}`, [`${lib}/libnvidia-nvvm.so.4`]],
        ['compute', `${lib}/libnvidia-ptxjitcompiler.so.${v}`, [`${lib}/libnvidia-ptxjitcompiler.so.1`]],
        ['graphics', `${lib}/libGLX_nvidia.so.${v}`, [`${lib}/libGLX_nvidia.so.0`]],
        ['utility', `${lib}/libnvidia-cfg.so.${v}`, [`${lib}/libnvidia-cfg.so.1`]],
        ['utility', `${lib}/libnvidia-ml.so.${v}`, [`${lib}/libnvidia-ml.so.1`]],
        ['video', `${lib}/libnvidia-encode.so.${v}`, [`${lib}/libnvidia-encode.so.1`]],
      ].sort(),
    );
    expect(found.driver.libraries.every((l) => l.hostPath === `${host.driverRoot}${l.path}`)).toBe(true);
  });

  it('finds the binaries and the GSP firmware of this driver version', () => {
    expect(found.driver.binaries.map((b) => [b.capability, b.path])).toEqual([
      ['utility', '/usr/bin/nvidia-smi'],
      ['utility', '/usr/bin/nvidia-persistenced'],
    ]);
    expect(found.driver.firmware.map((f) => f.path).sort()).toEqual([`/lib/firmware/nvidia/${host.driverVersion}/gsp_ga10x.bin`, `/lib/firmware/nvidia/${host.driverVersion}/gsp_tu10x.bin`]);
  });

  it('reports nothing suspicious about a consistent install', () => {
    expect(found.warnings).toEqual([]);
  });
});
