// The CDI spec for this node's NVIDIA GPUs, generated from discovery the way `nvidia-ctk cdi
// generate` lays it out: one device per GPU, named both by index and by UUID, plus "all"; the
// control nodes and driver files every GPU container needs sit in the spec-level containerEdits.
// Device nodes carry paths only: their numbers are read from the host when the spec is applied,
// so a reloaded driver (a new nvidia-uvm major) does not leave a stale spec behind.
//
// Libraries are bind-mounted read-only at their paths in the driver root, the real file and
// each soname link alike (libcuda.so.550.54.15 and libcuda.so.1). The spec holds no hook: berth
// adds the ld.so.cache update per container (ld-cache-hook.ts), where it knows the root, so
// `libcuda.so.1` resolves whichever directory the driver keeps its libraries in.
import { FailedPreconditionError } from '../../../common/errors.js';
import type { DiscoveredGpu, DeviceNode, NvidiaDiscovery } from '../discover.js';
import { driverCapabilities, type DriverCapability } from '../driver-capabilities.js';
import type { DriverFile } from '../driver-files.js';
import type { CdiContainerEdits, CdiDevice, CdiDeviceNode, CdiMount, CdiSpec } from './cdi-types.js';

export const nvidiaCdiKind = 'nvidia.com/gpu';
/** hostPath in device nodes needs 0.5.0 and annotations 0.6.0; 1.0.0 is the first stable one. */
export const generatedCdiVersion = '1.0.0';

export interface NvidiaSpecOptions {
  /** The capabilities whose files go into the spec; default all that were found. */
  capabilities?: readonly DriverCapability[];
}

function nodeEdit(node: DeviceNode): CdiDeviceNode {
  return node.hostPath === node.path ? { path: node.path } : { path: node.path, hostPath: node.hostPath };
}

/** Fresh each time: specs are plain data that callers may edit. */
const readOnlyFile = (): string[] => ['ro', 'nosuid', 'nodev', 'bind'];

function mountsOf(file: DriverFile): CdiMount[] {
  switch (file.kind) {
    case 'library':
      return [file.path, ...file.links].map((containerPath) => ({ hostPath: file.hostPath, containerPath, options: readOnlyFile() }));
    case 'binary':
      return [{ hostPath: file.hostPath, containerPath: file.path, options: readOnlyFile() }];
    case 'firmware':
      return [{ hostPath: file.hostPath, containerPath: file.path, options: [...readOnlyFile(), 'noexec'] }];
    case 'socket':
      return [{ hostPath: file.hostPath, containerPath: file.path, options: [...readOnlyFile(), 'noexec'] }];
    case 'directory':
      // The MPS control daemon's pipes: clients write into them.
      return [{ hostPath: file.hostPath, containerPath: file.path, options: ['nosuid', 'nodev', 'noexec', 'bind'] }];
  }
}

function gpuDevice(name: string, gpus: readonly DiscoveredGpu[]): CdiDevice {
  return { name, containerEdits: { deviceNodes: gpus.map((g) => nodeEdit(g.node)) } };
}

/** Throws when discovery found no GPU: a spec without devices is invalid CDI. */
export function nvidiaCdiSpec(discovery: NvidiaDiscovery, options: NvidiaSpecOptions = {}): CdiSpec {
  if (discovery.gpus.length === 0) {
    throw new FailedPreconditionError(`no NVIDIA GPU found under ${discovery.roots.devRoot}: there is nothing to write a CDI spec for`);
  }
  const wanted = new Set(options.capabilities ?? driverCapabilities);
  const { driver } = discovery;
  const files = [...driver.libraries, ...driver.binaries, ...driver.firmware, ...driver.ipc].filter((f) => wanted.has(f.capability));

  const common: CdiContainerEdits = {
    // Tells an NVIDIA runtime hook inside the same stack that the devices are already injected
    // (the toolkit's own CDI specs set the same).
    env: ['NVIDIA_VISIBLE_DEVICES=void'],
    deviceNodes: discovery.controlNodes.map(nodeEdit),
    mounts: files.flatMap(mountsOf),
  };

  const devices: CdiDevice[] = [];
  for (const gpu of discovery.gpus) {
    devices.push(gpuDevice(String(gpu.index), [gpu]));
    devices.push(gpuDevice(gpu.uuid, [gpu]));
  }
  devices.push(gpuDevice('all', discovery.gpus));

  const spec: CdiSpec = { cdiVersion: generatedCdiVersion, kind: nvidiaCdiKind, devices, containerEdits: common };
  if (driver.version !== undefined) spec.annotations = { 'berth.dev/driver-version': driver.version };
  return spec;
}
