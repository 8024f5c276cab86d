// A synthetic NVIDIA host for tests that have no GPU: a device root with real character device
// nodes (made with the real mknod, so lstat reports true majors/minors), fake proc and sysfs
// files, and a driver root with versioned ELF stub libraries indexed by the real ldconfig.
// Nothing in it can drive a GPU; everything in it looks like a driver install to discovery,
// CDI and runc. Needs root (mknod, ldconfig -r).
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { elfSharedObject, hostElfMachine } from './elf-shared-object.js';

const run = promisify(execFile);

export interface SyntheticGpu {
  index: number;
  minor: number;
  uuid: string;
  busId: string;
  model: string;
}

export interface SyntheticGpuRoot {
  /** Holds both roots; removed by cleanup(). */
  dir: string;
  driverRoot: string;
  devRoot: string;
  gpus: SyntheticGpu[];
  driverVersion: string;
  nvidiaMajor: number;
  uvmMajor: number;
  capsMajor: number;
  /** Multiarch library directory inside the driver root, e.g. /usr/lib/x86_64-linux-gnu. */
  libDir: string;
  cleanup(): Promise<void>;
}

export interface SyntheticGpuOptions {
  gpus?: number;
  driverVersion?: string;
  /** nvidia-uvm's dynamic major; the default is one no real driver on the test machine holds. */
  uvmMajor?: number;
  capsMajor?: number;
  /** Where the driver's libraries go in the driver root; default the host's multiarch directory. */
  libDir?: string;
  /**
   * GKE's layout: libraries in /usr/local/nvidia/lib64 (with their soname links) that the
   * loader's cache does not list, binaries in /usr/local/nvidia/bin. Overrides libDir.
   */
  outsideLoaderCache?: boolean;
}

/** Driver libraries: file base name → soname, as the 550 driver ships them. */
const libraries: Record<string, string> = {
  libcuda: 'libcuda.so.1',
  'libnvidia-ml': 'libnvidia-ml.so.1',
  'libnvidia-cfg': 'libnvidia-cfg.so.1',
  'libnvidia-ptxjitcompiler': 'libnvidia-ptxjitcompiler.so.1',
  'libnvidia-nvvm': 'libnvidia-nvvm.so.4',
  'libnvidia-encode': 'libnvidia-encode.so.1',
  libGLX_nvidia: 'libGLX_nvidia.so.0',
};

/** `berth runtime`/`berth node` flags that make berth discover this host's GPUs. */
export function gpuRootArgs(host: Pick<SyntheticGpuRoot, 'driverRoot' | 'devRoot'>): string[] {
  return ['--gpu-driver-root', host.driverRoot, '--gpu-device-root', host.devRoot];
}

async function mknod(path: string, major: number, minor: number): Promise<void> {
  await run('mknod', ['-m', '666', path, 'c', String(major), String(minor)]);
}

function information(gpu: SyntheticGpu): string {
  return [
    `Model: \t\t ${gpu.model}`,
    'IRQ:   \t\t 42',
    `GPU UUID: \t ${gpu.uuid}`,
    'Video BIOS: \t 96.00.99.00.01',
    'Bus Type: \t PCIe',
    'DMA Size: \t 52 bits',
    `Bus Location: \t ${gpu.busId}`,
    `Device Minor: \t ${gpu.minor}`,
    'GPU Excluded:\t No',
    '',
  ].join('\n');
}

export async function createSyntheticGpuRoot(options: SyntheticGpuOptions = {}): Promise<SyntheticGpuRoot> {
  const count = options.gpus ?? 2;
  const driverVersion = options.driverVersion ?? '550.54.15';
  const nvidiaMajor = 195;
  const uvmMajor = options.uvmMajor ?? 506;
  const capsMajor = options.capsMajor ?? 507;
  const dir = await mkdtemp(join(tmpdir(), 'berth-synthetic-gpu-'));
  const devRoot = join(dir, 'host');
  const driverRoot = join(dir, 'driver');
  const libDir = options.outsideLoaderCache ? '/usr/local/nvidia/lib64' : (options.libDir ?? `/usr/lib/${hostElfMachine()}-linux-gnu`);
  const binDir = options.outsideLoaderCache ? '/usr/local/nvidia/bin' : '/usr/bin';
  const cleanup = () => rm(dir, { recursive: true, force: true });

  try {
    const gpus: SyntheticGpu[] = Array.from({ length: count }, (_, i) => ({
      index: i,
      minor: i,
      uuid: `GPU-${String(i).padStart(8, '0')}-1111-2222-3333-${'abcdef'.repeat(2)}`,
      busId: `0000:${(0x3b + i * 0x20).toString(16).padStart(2, '0')}:00.0`,
      model: 'NVIDIA H100 80GB HBM3',
    }));

    // Kernel side: /proc/devices, driver information, sysfs, device nodes.
    await mkdir(join(devRoot, 'proc'), { recursive: true });
    await writeFile(join(devRoot, 'proc/devices'), `Character devices:\n  1 mem\n  5 /dev/tty\n${nvidiaMajor} nvidia\n${uvmMajor} nvidia-uvm\n${capsMajor} nvidia-caps\n\nBlock devices:\n  8 sd\n`);
    for (const gpu of gpus) {
      const infoDir = join(devRoot, 'proc/driver/nvidia/gpus', gpu.busId);
      await mkdir(infoDir, { recursive: true });
      await writeFile(join(infoDir, 'information'), information(gpu));
      const pci = join(devRoot, 'sys/bus/pci/devices', gpu.busId);
      await mkdir(pci, { recursive: true });
      await writeFile(join(pci, 'vendor'), '0x10de\n');
      await writeFile(join(pci, 'class'), '0x030200\n');
      // The GPU's HDMI audio function: same vendor, not a GPU.
      const audio = join(devRoot, 'sys/bus/pci/devices', gpu.busId.replace(/\.0$/, '.1'));
      await mkdir(audio, { recursive: true });
      await writeFile(join(audio, 'vendor'), '0x10de\n');
      await writeFile(join(audio, 'class'), '0x040300\n');
    }
    await mkdir(join(devRoot, 'dev/nvidia-caps'), { recursive: true });
    for (const gpu of gpus) await mknod(join(devRoot, `dev/nvidia${gpu.minor}`), nvidiaMajor, gpu.minor);
    await mknod(join(devRoot, 'dev/nvidiactl'), nvidiaMajor, 255);
    await mknod(join(devRoot, 'dev/nvidia-modeset'), nvidiaMajor, 254);
    await mknod(join(devRoot, 'dev/nvidia-uvm'), uvmMajor, 0);
    await mknod(join(devRoot, 'dev/nvidia-uvm-tools'), uvmMajor, 1);
    await mknod(join(devRoot, 'dev/nvidia-caps/nvidia-cap1'), capsMajor, 1);
    await mknod(join(devRoot, 'dev/nvidia-caps/nvidia-cap2'), capsMajor, 2);

    // User-space driver: versioned libraries + ld.so.cache, binaries, firmware.
    const lib = join(driverRoot, libDir);
    await mkdir(lib, { recursive: true });
    for (const [base, soname] of Object.entries(libraries)) {
      await writeFile(join(lib, `${base}.so.${driverVersion}`), elfSharedObject(soname));
      // Outside the cache ldconfig makes no soname links; the driver's installer does.
      if (options.outsideLoaderCache) await symlink(`${base}.so.${driverVersion}`, join(lib, soname));
    }
    // A library of no NVIDIA capability, which must not be injected.
    await writeFile(join(lib, 'libunrelated.so.1.0'), elfSharedObject('libunrelated.so.1'));
    await mkdir(join(driverRoot, 'etc'), { recursive: true });
    await writeFile(join(driverRoot, 'etc/ld.so.conf'), options.outsideLoaderCache ? '' : `${libDir}\n`);
    await run('ldconfig', ['-r', driverRoot]);

    await mkdir(join(driverRoot, binDir), { recursive: true });
    for (const bin of ['nvidia-smi', 'nvidia-persistenced']) {
      await writeFile(join(driverRoot, binDir, bin), `#!/bin/sh\necho "${bin} (synthetic)"\n`);
      await chmod(join(driverRoot, binDir, bin), 0o755);
    }
    const firmware = join(driverRoot, 'lib/firmware/nvidia', driverVersion);
    await mkdir(firmware, { recursive: true });
    await writeFile(join(firmware, 'gsp_ga10x.bin'), 'synthetic');
    await writeFile(join(firmware, 'gsp_tu10x.bin'), 'synthetic');

    return { dir, driverRoot, devRoot, gpus, driverVersion, nvidiaMajor, uvmMajor, capsMajor, libDir, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
