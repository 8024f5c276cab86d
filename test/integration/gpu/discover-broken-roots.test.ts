// Discovery on synthetic hosts that are broken the ways real ones break: a GPU without its node,
// a node left over from another driver load, a GPU the driver did not bind, a driver root
// without an ld.so.cache. Each case builds its own root and removes it.
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { discoverNvidia } from '../../../runtime/gpu/discover.js';
import { requireRoot } from '../../harness/root.js';
import { createSyntheticGpuRoot, type SyntheticGpuRoot } from '../../harness/synthetic-gpu.js';

const run = promisify(execFile);

describe('discoverNvidia on broken synthetic hosts', () => {
  let host: SyntheticGpuRoot | undefined;

  beforeAll(() => requireRoot('integration'));
  afterEach(async () => {
    await host?.cleanup();
    host = undefined;
  });

  it('refuses a GPU whose device node is missing, saying how to create it', async () => {
    host = await createSyntheticGpuRoot({ gpus: 2 });
    await rm(join(host.devRoot, 'dev/nvidia1'));
    await expect(discoverNvidia({ driverRoot: host.driverRoot, devRoot: host.devRoot })).rejects.toThrow(
      `GPU ${host.gpus[1]?.uuid} (minor 1) has no device node ${host.devRoot}/dev/nvidia1: create it with "nvidia-modprobe -c 1" or run nvidia-smi once`,
    );
  });

  it('refuses a GPU node whose major is not the nvidia module’s', async () => {
    host = await createSyntheticGpuRoot({ gpus: 1 });
    await rm(join(host.devRoot, 'dev/nvidia0'));
    await run('mknod', [join(host.devRoot, 'dev/nvidia0'), 'c', '196', '0']);
    await expect(discoverNvidia({ driverRoot: host.driverRoot, devRoot: host.devRoot })).rejects.toThrow(
      `${host.devRoot}/dev/nvidia0 has major 196, but nvidia is 195 in /proc/devices: the device node is stale; recreate it`,
    );
  });

  it('leaves out a uvm node from an earlier module load and says so', async () => {
    host = await createSyntheticGpuRoot({ gpus: 1 });
    await rm(join(host.devRoot, 'dev/nvidia-uvm'));
    await run('mknod', [join(host.devRoot, 'dev/nvidia-uvm'), 'c', String(host.uvmMajor + 1), '0']);
    const found = await discoverNvidia({ driverRoot: host.driverRoot, devRoot: host.devRoot });
    expect(found.controlNodes.map((n) => n.path)).not.toContain('/dev/nvidia-uvm');
    expect(found.warnings).toContain(`${host.devRoot}/dev/nvidia-uvm has major ${host.uvmMajor + 1}, but nvidia-uvm is ${host.uvmMajor} in /proc/devices; not injected`);
  });

  it('warns about an NVIDIA GPU in sysfs that the driver has not bound', async () => {
    host = await createSyntheticGpuRoot({ gpus: 1 });
    const pci = join(host.devRoot, 'sys/bus/pci/devices/0000:af:00.0');
    await mkdir(pci, { recursive: true });
    await writeFile(join(pci, 'vendor'), '0x10de\n');
    await writeFile(join(pci, 'class'), '0x030000\n');
    const found = await discoverNvidia({ driverRoot: host.driverRoot, devRoot: host.devRoot });
    expect(found.gpus).toHaveLength(1);
    expect(found.warnings).toContain('NVIDIA PCI devices 0000:af:00.0 have no driver information: is the nvidia module loaded and bound?');
  });

  it('finds the libraries in the standard directories when the driver root has no ld.so.cache', async () => {
    host = await createSyntheticGpuRoot({ gpus: 1 });
    await rm(join(host.driverRoot, 'etc/ld.so.cache'));
    const found = await discoverNvidia({ driverRoot: host.driverRoot, devRoot: host.devRoot });
    const cuda = found.driver.libraries.find((l) => l.path.includes('libcuda'));
    expect(cuda?.path).toBe(`${host.libDir}/libcuda.so.${host.driverVersion}`);
    expect(cuda?.links).toEqual([`${host.libDir}/libcuda.so.1`]);
    expect(found.driver.libraries).toHaveLength(7);
  });

  it("finds a driver under /usr/local/nvidia that the loader's cache does not list, its binaries bound for /usr/bin", async () => {
    host = await createSyntheticGpuRoot({ gpus: 1, outsideLoaderCache: true });
    const found = await discoverNvidia({ driverRoot: host.driverRoot, devRoot: host.devRoot });
    expect(found.driver.version).toBe(host.driverVersion);
    const cuda = found.driver.libraries.find((l) => l.path.includes('libcuda'));
    expect(cuda?.path).toBe(`/usr/local/nvidia/lib64/libcuda.so.${host.driverVersion}`);
    expect(cuda?.links).toEqual(['/usr/local/nvidia/lib64/libcuda.so.1']);
    expect(found.driver.libraries).toHaveLength(7);
    expect(found.driver.binaries.map((b) => [b.path, b.hostPath])).toEqual([
      ['/usr/bin/nvidia-smi', join(host.driverRoot, 'usr/local/nvidia/bin/nvidia-smi')],
      ['/usr/bin/nvidia-persistenced', join(host.driverRoot, 'usr/local/nvidia/bin/nvidia-persistenced')],
    ]);
    expect(found.warnings).toEqual([]);
  });

  it('finds no GPU and no driver on a host without NVIDIA hardware', async () => {
    host = await createSyntheticGpuRoot({ gpus: 0 });
    await rm(join(host.devRoot, 'proc/driver'), { recursive: true, force: true });
    const found = await discoverNvidia({ driverRoot: join(host.dir, 'empty'), devRoot: host.devRoot });
    expect(found.gpus).toEqual([]);
    expect(found.driver.libraries).toEqual([]);
    expect(found.driver.version).toBeUndefined();
  });
});
