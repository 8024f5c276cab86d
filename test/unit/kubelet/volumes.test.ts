// The volume logic on a real filesystem (a temporary directory): hostPath type checks, emptyDir
// directories, and subPath resolution that must not follow a symlink out of its volume.
import type { V1Pod } from '@kubernetes/client-node';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containerMounts, mountSubPath, preparePodVolumes, relativeSubPath, removePodVolumes, volumeKind } from '../../../kubelet/volumes.js';

let root = '';
beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'berth-volumes-')));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const context = { sources: undefined, facts: { podIp: '10.0.0.2', hostIp: '192.0.2.1', nodeCpuCores: 4, nodeMemoryBytes: 2 ** 32 } };

function pod(volumes: NonNullable<NonNullable<V1Pod['spec']>['volumes']>): V1Pod {
  return { metadata: { name: 'p', namespace: 'n', uid: 'uid-1' }, spec: { containers: [], volumes } };
}

describe('pod volumes on the node', () => {
  it('makes an emptyDir under <root>/pods/<uid>/volumes and removes it with the pod', async () => {
    const warnings: string[] = [];
    const volumes = await preparePodVolumes(pod([{ name: 'scratch', emptyDir: {} }]), root, context, (m: string) => warnings.push(m));
    const dir = join(root, 'pods', 'uid-1', 'volumes', 'kubernetes.io~empty-dir', 'scratch');
    expect(volumes.get('scratch')).toEqual({ hostPath: dir, readOnly: false });
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(warnings).toEqual([]);
    await removePodVolumes(root, 'uid-1');
    expect(() => statSync(join(root, 'pods', 'uid-1'))).toThrow(/ENOENT/);
  });

  it('creates a DirectoryOrCreate or FileOrCreate hostPath, and refuses a path of the wrong kind', async () => {
    const dir = join(root, 'made', 'dir');
    const file = join(root, 'made-file');
    await preparePodVolumes(
      pod([
        { name: 'd', hostPath: { path: dir, type: 'DirectoryOrCreate' } },
        { name: 'f', hostPath: { path: file, type: 'FileOrCreate' } },
      ]),
      root,
      context,
      () => undefined,
    );
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(statSync(file).isFile()).toBe(true);
    await expect(preparePodVolumes(pod([{ name: 'x', hostPath: { path: file, type: 'Directory' } }]), root, context, () => undefined)).rejects.toThrow(/is not a Directory \(it is a file\)/);
    await expect(preparePodVolumes(pod([{ name: 'x', hostPath: { path: join(root, 'absent'), type: 'File' } }]), root, context, () => undefined)).rejects.toThrow(/does not exist/);
    await expect(preparePodVolumes(pod([{ name: 'x', hostPath: { path: 'relative/path' } }]), root, context, () => undefined)).rejects.toThrow(/not absolute/);
  });

  it('warns about the volume types it does not mount yet, and names them', async () => {
    const warnings: string[] = [];
    const volumes = await preparePodVolumes(pod([{ name: 'data', persistentVolumeClaim: { claimName: 'c' } }]), root, context, (m: string) => warnings.push(m));
    expect(volumes.size).toBe(0);
    expect(warnings).toEqual([expect.stringContaining('volume data (persistentVolumeClaim) is not supported')]);
    expect(volumeKind({ name: 'x', projected: { sources: [] } })).toBe('projected');
  });
});

describe('container mounts', () => {
  const volume = () => ({ hostPath: join(root, 'vol'), readOnly: false });

  it('maps volumeMounts to CRI mounts with read-only and propagation', async () => {
    mkdirSync(join(root, 'vol'));
    const mounts = await containerMounts(
      {
        name: 'c',
        volumeMounts: [
          { name: 'v', mountPath: '/data', readOnly: true, mountPropagation: 'HostToContainer' },
          { name: 'unknown', mountPath: '/x' },
        ],
      },
      new Map([['v', volume()]]),
    );
    expect(mounts).toEqual([{ containerPath: '/data', hostPath: join(root, 'vol'), readonly: true, propagation: 'PROPAGATION_HOST_TO_CONTAINER' }]);
  });

  it('resolves a subPath inside the volume, making missing directories', async () => {
    mkdirSync(join(root, 'vol'));
    const [mount] = await containerMounts({ name: 'c', volumeMounts: [{ name: 'v', mountPath: '/d', subPath: 'a/b' }] }, new Map([['v', volume()]]));
    expect(mount?.hostPath).toBe(join(root, 'vol', 'a', 'b'));
    expect(statSync(join(root, 'vol', 'a', 'b')).isDirectory()).toBe(true);
  });

  it('follows a symlink that stays inside the volume, and mounts its real target', async () => {
    mkdirSync(join(root, 'vol', 'real'), { recursive: true });
    symlinkSync('real', join(root, 'vol', 'link'));
    const [mount] = await containerMounts({ name: 'c', volumeMounts: [{ name: 'v', mountPath: '/d', subPath: 'link' }] }, new Map([['v', volume()]]));
    expect(mount?.hostPath).toBe(join(root, 'vol', 'real'));
  });

  it('refuses a subPath that escapes through "..", an absolute path or a symlink, and creates nothing outside', async () => {
    mkdirSync(join(root, 'vol'));
    mkdirSync(join(root, 'outside'));
    writeFileSync(join(root, 'outside', 'secret'), 'x');
    symlinkSync('../outside', join(root, 'vol', 'escape'));
    symlinkSync('/', join(root, 'vol', 'slash'));
    const volumes = new Map([['v', volume()]]);
    const mountOf = (subPath: string) => containerMounts({ name: 'c', volumeMounts: [{ name: 'v', mountPath: '/d', subPath }] }, volumes);
    await expect(mountOf('../outside')).rejects.toThrow(/must be a relative path inside the volume/);
    await expect(mountOf('/etc')).rejects.toThrow(/must be a relative path inside the volume/);
    await expect(mountOf('escape')).rejects.toThrow(/leads outside its volume/);
    await expect(mountOf('escape/new-dir')).rejects.toThrow(/leads outside its volume/);
    await expect(mountOf('slash/tmp')).rejects.toThrow(/leads outside its volume/);
    expect(() => statSync(join(root, 'outside', 'new-dir'))).toThrow(/ENOENT/);
  });

  it("expands a subPathExpr with the container's environment and mounts that subdirectory", async () => {
    mkdirSync(join(root, 'vol'));
    const env = new Map([['POD_NAME', 'web-1']]);
    const [mount] = await containerMounts({ name: 'c', volumeMounts: [{ name: 'v', mountPath: '/logs', subPathExpr: 'logs/$(POD_NAME)' }] }, new Map([['v', volume()]]), env);
    expect(mount?.hostPath).toBe(join(root, 'vol', 'logs', 'web-1'));
    expect(statSync(join(root, 'vol', 'logs', 'web-1')).isDirectory()).toBe(true);
  });

  it('refuses a subPathExpr that expands to "..", an absolute path, or uses an unset or empty variable (upstream spec: CreateContainerConfigError)', async () => {
    mkdirSync(join(root, 'vol'));
    const volumes = new Map([['v', volume()]]);
    const mountOf = (value: string, expr = '$(POD_NAME)') => containerMounts({ name: 'c', volumeMounts: [{ name: 'v', mountPath: '/d', subPathExpr: expr }] }, volumes, new Map([['POD_NAME', value]]));
    await expect(mountOf('..')).rejects.toThrow(/must be a relative path inside the volume/);
    await expect(mountOf('/tmp')).rejects.toThrow(/must be a relative path inside the volume/);
    await expect(mountOf('')).rejects.toThrow(/subPathExpr \$\(POD_NAME\): no value for POD_NAME/);
    await expect(mountOf('x', 'a/$(NOPE)')).rejects.toThrow(/no value for NOPE/);
  });

  it('takes subPath as written when there is no subPathExpr, $ and all', () => {
    expect(mountSubPath({ name: 'v', mountPath: '/d', subPath: 'a/$(X)' }, new Map([['X', 'y']]))).toBe('a/$(X)');
    expect(mountSubPath({ name: 'v', mountPath: '/d' }, new Map())).toBeUndefined();
    expect(mountSubPath({ name: 'v', mountPath: '/d', subPathExpr: '$$(X)/$(X)' }, new Map([['X', 'y']]))).toBe('$(X)/y');
  });

  it('normalizes harmless subPaths', () => {
    expect(relativeSubPath('v', 'a/./b/')).toBe('a/b');
    expect(relativeSubPath('v', 'a/../b')).toBe('b');
    expect(relativeSubPath('v', '.')).toBe('');
    expect(() => relativeSubPath('v', 'a/../../b')).toThrow(/relative path inside/);
  });
});
