import { describe, expect, it } from 'vitest';
import { nvidiaCdiSpec } from '../../../runtime/gpu/cdi/nvidia-spec.js';
import { validateCdiSpec } from '../../../runtime/gpu/cdi/validate-spec.js';
import type { DeviceNode, NvidiaDiscovery } from '../../../runtime/gpu/discover.js';
import type { DriverFile } from '../../../runtime/gpu/driver-files.js';
import { planGpuInjection } from '../../../runtime/gpu/gpu-injection.js';
import { parseGpuRequest } from '../../../runtime/gpu/gpus-flag.js';

const devRoot = '/run/host';
const node = (path: string, major: number, minor: number): DeviceNode => ({
  path,
  hostPath: `${devRoot}${path}`,
  type: 'c',
  major,
  minor,
  fileMode: 0o666,
  uid: 0,
  gid: 0,
});
const file = (kind: DriverFile['kind'], capability: DriverFile['capability'], path: string, links: string[] = []): DriverFile => ({
  kind,
  capability,
  path,
  hostPath: `/driver${path}`,
  links,
});
const lib = '/usr/lib/x86_64-linux-gnu';

const discovery: NvidiaDiscovery = {
  roots: { driverRoot: '/driver', devRoot },
  majors: { nvidia: 195, uvm: 510 },
  gpus: [
    { index: 0, minor: 0, uuid: 'GPU-aaaa', model: 'NVIDIA H100', busId: '0000:3b:00.0', node: node('/dev/nvidia0', 195, 0) },
    { index: 1, minor: 1, uuid: 'GPU-bbbb', model: 'NVIDIA H100', busId: '0000:5b:00.0', node: node('/dev/nvidia1', 195, 1) },
  ],
  controlNodes: [node('/dev/nvidiactl', 195, 255), node('/dev/nvidia-uvm', 510, 0)],
  capabilityNodes: [node('/dev/nvidia-caps/nvidia-cap1', 511, 1)],
  pciBusIds: ['0000:3b:00.0', '0000:5b:00.0'],
  driver: {
    version: '550.54.15',
    libraries: [
      file('library', 'compute', `${lib}/libcuda.so.550.54.15`, [`${lib}/libcuda.so.1`]),
      file('library', 'utility', `${lib}/libnvidia-ml.so.550.54.15`, [`${lib}/libnvidia-ml.so.1`]),
      file('library', 'graphics', `${lib}/libGLX_nvidia.so.550.54.15`, [`${lib}/libGLX_nvidia.so.0`]),
    ],
    binaries: [file('binary', 'utility', '/usr/bin/nvidia-smi')],
    firmware: [file('firmware', 'utility', '/lib/firmware/nvidia/550.54.15/gsp_ga10x.bin')],
    ipc: [file('socket', 'utility', '/run/nvidia-persistenced/socket')],
    warnings: [],
  },
  warnings: [],
};

describe('nvidiaCdiSpec', () => {
  it('describes every GPU by index, by UUID and as all, with the driver in the common edits', () => {
    expect(nvidiaCdiSpec(discovery)).toMatchSnapshot();
  });

  it('produces a spec that berth’s own validator accepts', () => {
    const spec = nvidiaCdiSpec(discovery);
    expect(validateCdiSpec(JSON.parse(JSON.stringify(spec)), 'generated')).toEqual(spec);
  });

  it('leaves out the files of capabilities not asked for', () => {
    const mounts = nvidiaCdiSpec(discovery, { capabilities: ['utility'] }).containerEdits?.mounts ?? [];
    expect(mounts.map((m) => m.containerPath)).not.toContain(`${lib}/libcuda.so.1`);
    expect(mounts.map((m) => m.containerPath)).toContain(`${lib}/libnvidia-ml.so.1`);
  });

  it('never injects the MIG capability nodes', () => {
    expect(JSON.stringify(nvidiaCdiSpec(discovery))).not.toContain('nvidia-caps');
  });

  it('refuses a node without GPUs', () => {
    expect(() => nvidiaCdiSpec({ ...discovery, gpus: [] })).toThrow('no NVIDIA GPU found under /run/host');
  });
});

describe('planGpuInjection', () => {
  it('asks for the chosen GPUs by UUID and describes them in NVIDIA_* variables', () => {
    const plan = planGpuInjection(parseGpuRequest('"device=1",capabilities=utility'), discovery);
    expect(plan.cdiDevices).toEqual(['nvidia.com/gpu=GPU-bbbb']);
    expect(plan.env).toEqual(['NVIDIA_VISIBLE_DEVICES=GPU-bbbb', 'NVIDIA_DRIVER_CAPABILITIES=utility']);
  });

  it('asks for the all device when every GPU is requested', () => {
    const plan = planGpuInjection(parseGpuRequest('all'), discovery);
    expect(plan.cdiDevices).toEqual(['nvidia.com/gpu=all']);
    expect(plan.env).toEqual(['NVIDIA_VISIBLE_DEVICES=all', 'NVIDIA_DRIVER_CAPABILITIES=utility,compute']);
  });

  it('withholds the driver files of the capabilities not asked for', () => {
    expect(planGpuInjection(parseGpuRequest('"device=1",capabilities=utility'), discovery).withheldMounts).toEqual([`/driver${lib}/libcuda.so.550.54.15`, `/driver${lib}/libGLX_nvidia.so.550.54.15`]);
    expect(planGpuInjection(parseGpuRequest('all'), discovery).withheldMounts).toEqual([`/driver${lib}/libGLX_nvidia.so.550.54.15`]);
    expect(planGpuInjection(parseGpuRequest('all,capabilities=all'), discovery).withheldMounts).toEqual([]);
  });

  it('takes the first GPUs for a count', () => {
    expect(planGpuInjection(parseGpuRequest('1'), discovery).cdiDevices).toEqual(['nvidia.com/gpu=GPU-aaaa']);
  });

  it('refuses more GPUs than the node has', () => {
    expect(() => planGpuInjection(parseGpuRequest('3'), discovery)).toThrow('3 GPUs were requested but this node has 2 GPUs (indexes 0-1)');
  });
});
