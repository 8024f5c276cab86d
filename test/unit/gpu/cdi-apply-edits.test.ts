import { describe, expect, it } from 'vitest';
import { applyCdiEdits } from '../../../runtime/gpu/cdi/apply-edits.js';
import { completeDeviceNodes, type CompleteCdiEdits } from '../../../runtime/gpu/cdi/complete-device-nodes.js';
import type { DeviceNodeInfo } from '../../../runtime/gpu/device-node-info.js';
import type { Spec } from '../../../runtime/oci/spec/runtime-spec.js';

function spec(): Spec {
  return {
    ociVersion: '1.0.2',
    process: { user: { uid: 1000, gid: 1000 }, args: ['sh'], env: ['PATH=/bin', 'A=old'], cwd: '/' },
    root: { path: 'rootfs' },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind'] },
    ],
    linux: { namespaces: [], resources: { devices: [{ allow: false, access: 'rwm' }] } },
  };
}

const edits = (e: CompleteCdiEdits['edits']): CompleteCdiEdits => ({ source: 'test', edits: e });

describe('applyCdiEdits', () => {
  it('merges env by name, the later value winning in place', () => {
    const out = applyCdiEdits(spec(), [edits({ env: ['A=cdi', 'B=1'] }), edits({ env: ['B=2'] })]);
    expect(out.process.env).toEqual(['PATH=/bin', 'A=cdi', 'B=2']);
  });

  it('adds device nodes with an allow rule each, using the spec permissions', () => {
    const out = applyCdiEdits(spec(), [edits({ deviceNodes: [{ path: '/dev/nvidia0', type: 'c', major: 195, minor: 0, fileMode: 0o20666, permissions: 'rw', uid: 0, gid: 44 }] })]);
    expect(out.linux.devices).toEqual([{ path: '/dev/nvidia0', type: 'c', major: 195, minor: 0, fileMode: 0o666, uid: 0, gid: 44 }]);
    expect(out.linux.resources?.devices).toEqual([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 195, minor: 0, access: 'rw' },
    ]);
  });

  it('replaces a device node at the same path and gives fifos no cgroup rule', () => {
    const out = applyCdiEdits(spec(), [edits({ deviceNodes: [{ path: '/dev/x', type: 'c', major: 1, minor: 1 }] }), edits({ deviceNodes: [{ path: '/dev/x', type: 'p', major: 0, minor: 0 }] })]);
    expect(out.linux.devices).toEqual([{ path: '/dev/x', type: 'p', major: 0, minor: 0 }]);
    expect(out.linux.resources?.devices).toHaveLength(2);
  });

  it('creates linux.resources when the spec had none', () => {
    const s = spec();
    delete s.linux.resources;
    const out = applyCdiEdits(s, [edits({ deviceNodes: [{ path: '/dev/x', type: 'b', major: 8, minor: 0 }] })]);
    expect(out.linux.resources?.devices).toEqual([{ allow: true, type: 'b', major: 8, minor: 0, access: 'rwm' }]);
  });

  it('adds mounts as binds, replacing one at the same destination, parents first', () => {
    const out = applyCdiEdits(spec(), [
      edits({
        mounts: [
          { hostPath: '/host/lib/libcuda.so.1', containerPath: '/usr/lib/libcuda.so.1', options: ['ro', 'nosuid'] },
          { hostPath: '/host/data', containerPath: '/data', options: ['ro', 'rbind'] },
          { hostPath: 'tmpfs', containerPath: '/scratch', type: 'tmpfs', options: ['size=1m'] },
        ],
      }),
    ]);
    expect(out.mounts).toEqual([
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/data', type: 'bind', source: '/host/data', options: ['ro', 'rbind'] },
      { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
      { destination: '/usr/lib/libcuda.so.1', type: 'bind', source: '/host/lib/libcuda.so.1', options: ['ro', 'nosuid', 'bind'] },
    ]);
  });

  it('appends hooks to their stage and additional gids once, never gid 0', () => {
    const out = applyCdiEdits(spec(), [
      edits({ hooks: [{ hookName: 'createContainer', path: '/bin/hook', args: ['hook'], timeout: 3 }], additionalGids: [44, 0, 44] }),
      edits({ hooks: [{ hookName: 'createContainer', path: '/bin/hook2' }], additionalGids: [45] }),
    ]);
    expect(out.hooks).toEqual({ createContainer: [{ path: '/bin/hook', args: ['hook'], timeout: 3 }, { path: '/bin/hook2' }] });
    expect(out.process.user.additionalGids).toEqual([44, 45]);
  });
});

describe('completeDeviceNodes', () => {
  const host: Record<string, DeviceNodeInfo> = {
    '/host/dev/nvidia0': { type: 'c', major: 195, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
  };
  const reads: string[] = [];
  const read = async (path: string) => {
    reads.push(path);
    return host[path];
  };

  it('fills type, numbers and mode from the node at the host path', async () => {
    const [out] = await completeDeviceNodes([{ source: 's', edits: { deviceNodes: [{ path: '/dev/nvidia0', hostPath: '/host/dev/nvidia0' }] } }], read);
    expect(out?.edits.deviceNodes).toEqual([{ path: '/dev/nvidia0', hostPath: '/host/dev/nvidia0', type: 'c', major: 195, minor: 0, fileMode: 0o666 }]);
  });

  it('keeps a node that names its type and numbers without reading the host', async () => {
    reads.length = 0;
    const node = { path: '/dev/x', type: 'c', major: 10, minor: 200 };
    const [out] = await completeDeviceNodes([{ source: 's', edits: { deviceNodes: [node] } }], read);
    expect(out?.edits.deviceNodes).toEqual([node]);
    expect(reads).toEqual([]);
  });

  it('refuses a node missing on the host, naming the device', async () => {
    await expect(completeDeviceNodes([{ source: 'device nvidia.com/gpu=3', edits: { deviceNodes: [{ path: '/dev/nvidia3' }] } }], read)).rejects.toThrow(
      'device nvidia.com/gpu=3: device node /dev/nvidia3 does not exist on this host',
    );
  });

  it('refuses a node whose host type contradicts the spec', async () => {
    await expect(completeDeviceNodes([{ source: 's', edits: { deviceNodes: [{ path: '/dev/nvidia0', hostPath: '/host/dev/nvidia0', type: 'b' }] } }], read)).rejects.toThrow(
      's: /host/dev/nvidia0 is type "c" but the CDI spec says "b"',
    );
  });
});
