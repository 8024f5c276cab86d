// NVIDIA GPU discovery without any NVIDIA tool: what the kernel driver says (proc, sysfs, device
// nodes under the device root) plus what the user-space driver installed (libraries, binaries,
// firmware under the driver root). Both roots are parameters so tests point them at a synthetic
// tree; on a normal host both are "/", with a driver container the driver root is its rootfs.
//
// GPU indexes follow PCI bus order, as nvidia-smi and CUDA (CUDA_DEVICE_ORDER=PCI_BUS_ID) number
// them; the device minor only names the node and may differ from the index.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError } from '../../common/errors.js';
import { readDeviceNode, type DeviceNodeInfo } from './device-node-info.js';
import { findDriverFiles, type DriverFiles } from './driver-files.js';
import { parseGpuInformation } from './gpu-information.js';
import { parseNvidiaMajors, type NvidiaMajors } from './proc-devices.js';

export interface DiscoveryRoots {
  /** Where the user-space driver lives (libraries, binaries, firmware, sockets). Default "/". */
  driverRoot: string;
  /** Where the kernel's view lives: dev/, proc/, sys/. Default "/". */
  devRoot: string;
}

export interface DeviceNode extends DeviceNodeInfo {
  /** Path in the container, e.g. "/dev/nvidia0". */
  path: string;
  /** Path on this host (device root + path). */
  hostPath: string;
}

export interface DiscoveredGpu {
  index: number;
  minor: number;
  uuid: string;
  model: string;
  busId: string;
  node: DeviceNode;
}

export interface NvidiaDiscovery {
  roots: DiscoveryRoots;
  majors: NvidiaMajors;
  gpus: DiscoveredGpu[];
  /** nvidiactl, nvidia-modeset, nvidia-uvm, nvidia-uvm-tools: whichever exist. */
  controlNodes: DeviceNode[];
  /** /dev/nvidia-caps/*: MIG capabilities; listed, never injected by default. */
  capabilityNodes: DeviceNode[];
  /** NVIDIA display/3D PCI functions seen in sysfs, bound or not. */
  pciBusIds: string[];
  driver: DriverFiles;
  warnings: string[];
}

const nvidiaVendor = '0x10de';
// VGA-compatible (0x0300) and 3D (0x0302) controllers; a GPU's audio or USB functions share the
// vendor id and must not count as GPUs.
const gpuClassPrefixes = ['0x0300', '0x0302'];

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function listNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

async function pciGpus(devRoot: string): Promise<string[]> {
  const dir = join(devRoot, 'sys/bus/pci/devices');
  const found: string[] = [];
  for (const busId of await listNames(dir)) {
    const [vendor, cls] = await Promise.all([readText(join(dir, busId, 'vendor')), readText(join(dir, busId, 'class'))]);
    if (vendor?.trim() !== nvidiaVendor) continue;
    if (cls !== undefined && !gpuClassPrefixes.some((p) => cls.trim().startsWith(p))) continue;
    found.push(busId.toLowerCase());
  }
  return found;
}

async function node(devRoot: string, path: string): Promise<DeviceNode | undefined> {
  const hostPath = join(devRoot, path);
  const info = await readDeviceNode(hostPath);
  return info && { ...info, path, hostPath };
}

function majorMismatch(n: DeviceNode, expected: number | undefined, module: string): string | undefined {
  if (n.type !== 'c') return `${n.hostPath} is not a character device`;
  if (expected === undefined) return `${n.hostPath} exists but /proc/devices lists no ${module} module`;
  if (n.major !== expected) return `${n.hostPath} has major ${n.major}, but ${module} is ${expected} in /proc/devices`;
  return undefined;
}

async function gpusOf(devRoot: string, majors: NvidiaMajors): Promise<DiscoveredGpu[]> {
  const dir = join(devRoot, 'proc/driver/nvidia/gpus');
  const infos = await Promise.all(
    (await listNames(dir)).map(async (busId) => {
      const file = join(dir, busId, 'information');
      const text = await readText(file);
      if (text === undefined) throw new FailedPreconditionError(`${file} cannot be read: is the nvidia driver loaded?`);
      return parseGpuInformation(text, file, busId);
    }),
  );
  infos.sort((a, b) => (a.busId < b.busId ? -1 : a.busId > b.busId ? 1 : 0));
  return Promise.all(
    infos.map(async (info, index) => {
      const path = `/dev/nvidia${info.minor}`;
      const found = await node(devRoot, path);
      if (found === undefined) {
        throw new FailedPreconditionError(`GPU ${info.uuid} (minor ${info.minor}) has no device node ${join(devRoot, path)}: create it with "nvidia-modprobe -c ${info.minor}" or run nvidia-smi once`);
      }
      const mismatch = majorMismatch(found, majors.nvidia, 'nvidia');
      if (mismatch !== undefined) throw new FailedPreconditionError(`${mismatch}: the device node is stale; recreate it`);
      return { index, ...info, node: found };
    }),
  );
}

const controlNodes: { path: string; module: keyof NvidiaMajors; name: string }[] = [
  { path: '/dev/nvidiactl', module: 'nvidia', name: 'nvidia' },
  { path: '/dev/nvidia-modeset', module: 'nvidia', name: 'nvidia' },
  { path: '/dev/nvidia-uvm', module: 'uvm', name: 'nvidia-uvm' },
  { path: '/dev/nvidia-uvm-tools', module: 'uvm', name: 'nvidia-uvm' },
];

async function controlNodesOf(devRoot: string, majors: NvidiaMajors, warnings: string[]): Promise<DeviceNode[]> {
  const found: DeviceNode[] = [];
  for (const c of controlNodes) {
    const n = await node(devRoot, c.path);
    if (n === undefined) continue;
    const mismatch = majorMismatch(n, majors[c.module], c.name);
    if (mismatch !== undefined) warnings.push(`${mismatch}; not injected`);
    else found.push(n);
  }
  return found;
}

async function capabilityNodesOf(devRoot: string, majors: NvidiaMajors, warnings: string[]): Promise<DeviceNode[]> {
  const found: DeviceNode[] = [];
  for (const name of await listNames(join(devRoot, 'dev/nvidia-caps'))) {
    const n = await node(devRoot, `/dev/nvidia-caps/${name}`);
    if (n === undefined) continue;
    const mismatch = majorMismatch(n, majors.caps, 'nvidia-caps');
    if (mismatch !== undefined) warnings.push(`${mismatch}; ignored`);
    else found.push(n);
  }
  return found;
}

/** What this host's NVIDIA driver offers. A host without NVIDIA hardware yields no GPUs. */
export async function discoverNvidia(roots: Partial<DiscoveryRoots> = {}): Promise<NvidiaDiscovery> {
  const resolved: DiscoveryRoots = { driverRoot: roots.driverRoot ?? '/', devRoot: roots.devRoot ?? '/' };
  const { devRoot, driverRoot } = resolved;
  const warnings: string[] = [];
  const majors = parseNvidiaMajors((await readText(join(devRoot, 'proc/devices'))) ?? '');
  const [gpus, control, caps, pci, driver] = await Promise.all([
    gpusOf(devRoot, majors),
    controlNodesOf(devRoot, majors, warnings),
    capabilityNodesOf(devRoot, majors, warnings),
    pciGpus(devRoot),
    findDriverFiles(driverRoot),
  ]);
  const bound = new Set(gpus.map((g) => g.busId));
  const unbound = pci.filter((id) => !bound.has(id));
  if (unbound.length > 0) {
    warnings.push(`NVIDIA PCI devices ${unbound.join(', ')} have no driver information: is the nvidia module loaded and bound?`);
  }
  if (gpus.length > 0 && driver.version === undefined) {
    warnings.push(`no libcuda.so.<version> or libnvidia-ml.so.<version> under ${driverRoot}: containers get device nodes but no driver libraries`);
  }
  return { roots: resolved, majors, gpus, controlNodes: control, capabilityNodes: caps, pciBusIds: pci, driver, warnings: [...warnings, ...driver.warnings] };
}
