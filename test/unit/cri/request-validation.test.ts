// The CRI request checks on their own (cri/validation/): field names in every refusal, short
// quotes of huge values, the mount policy on real temporary directories and symlinks, and the
// name reservation that refuses a second create while the first is in flight.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Mount__Output } from '../../../api/cri/messages.js';
import { checkId, checkMetadataString, checkStringMap, quoted } from '../../../cri/validation/fields.js';
import { checkLogPath, HostPathPolicy } from '../../../cri/validation/host-paths.js';

function mount(hostPath: string, containerPath = '/data', readonly = false): Mount__Output {
  return {
    hostPath,
    containerPath,
    readonly,
    selinuxRelabel: false,
    propagation: 'PROPAGATION_PRIVATE',
    uidMappings: [],
    gidMappings: [],
    recursiveReadOnly: false,
    image: null,
    imageSubPath: '',
    mountOptions: [],
  };
}

describe('field checks', () => {
  it('quotes a huge value by its head and its length', () => {
    expect(quoted('x'.repeat(100_000))).toMatch(/^"x{80}"… \(100000 characters\)$/);
    expect(quoted('a\0b')).toBe('"a\\u0000b"');
  });

  it.each([
    ['a path', '../x'],
    ['a NUL', 'ab\0'],
    ['65 hex digits', 'a'.repeat(65)],
  ])('answers an id with %s as naming nothing', (_what, id) => {
    expect(() => checkId('container_id', id)).toThrow(expect.objectContaining({ code: 'NOT_FOUND', message: expect.stringContaining('container_id') }));
  });

  it('leaves empty ids and prefixes to the runtime', () => {
    expect(() => checkId('pod_sandbox_id', '')).not.toThrow();
    expect(() => checkId('pod_sandbox_id', 'abc')).not.toThrow();
  });

  it.each([['a/b'], ['a\0b'], ['..'], ['a_b'], [''], ['n'.repeat(254)]])('refuses the metadata name %j', (name) => {
    expect(() => checkMetadataString('metadata.name', name)).toThrow(/metadata\.name/);
  });

  it('refuses a map over 256 KiB, not one of many small entries', () => {
    expect(() => checkStringMap('labels', { big: 'x'.repeat(300_000) })).toThrow(/labels hold 300003 bytes/);
    expect(() => checkStringMap('labels', Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, 'v'])))).not.toThrow();
  });
});

describe('host path policy', () => {
  const work = mkdtempSync(join(tmpdir(), 'berth-validation-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const paths = { socketPath: join(work, 'run/berth.sock'), rootDir: join(work, 'root'), stateDir: join(work, 'state') };
  for (const dir of ['run', 'root/snapshots', 'root/kubelet/pods', 'state/containers']) mkdirSync(join(work, dir), { recursive: true });
  symlinkSync(paths.stateDir, join(work, 'to-state'));
  const policy = new HostPathPolicy(paths);

  it.each([
    ['the state dir', paths.stateDir],
    ['a path below the state dir that does not exist yet', join(paths.stateDir, 'containers/new/x')],
    ['a symlink to the state dir', join(work, 'to-state')],
    ['the socket', paths.socketPath],
    ["the socket's directory", join(work, 'run')],
    ['the root dir', paths.rootDir],
    ['a store in the root dir', join(paths.rootDir, 'snapshots')],
    ['the volume store', join(paths.rootDir, 'volumes')],
    ["a volume's own dir (its record)", join(paths.rootDir, 'volumes/data')],
    ["a volume's record", join(paths.rootDir, 'volumes/data/volume.json')],
    ['a path climbing out of a volume', join(paths.rootDir, 'volumes/data/_data/../volume.json')],
  ])('refuses %s', async (_what, hostPath) => {
    await expect(policy.checkMounts([mount(hostPath)], true)).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('mounts[0].host_path') });
  });

  it.each([
    ["the kubelet's dir inside the root dir", join(paths.rootDir, 'kubelet/pods')],
    ["a volume's data", join(paths.rootDir, 'volumes/data/_data')],
    ["a directory in a volume's data", join(paths.rootDir, 'volumes/data/_data/sub')],
    ['an ancestor of the state dir', work],
    ['the host root', '/'],
  ])('allows %s', async (_what, hostPath) => {
    await expect(policy.checkMounts([mount(hostPath)], false)).resolves.toBeUndefined();
  });

  it("allows the host's /proc read-only, or writable to a privileged container only", async () => {
    await expect(policy.checkMounts([mount('/proc', '/host/proc', true)], false)).resolves.toBeUndefined();
    await expect(policy.checkMounts([mount('/proc', '/host/proc')], true)).resolves.toBeUndefined();
    await expect(policy.checkMounts([mount('/proc/sys', '/host/sys')], false)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('refuses a log path through a symlink, and one that leaves the log directory', async () => {
    const logs = join(work, 'logs');
    mkdirSync(join(logs, 'real'), { recursive: true });
    symlinkSync('/etc', join(logs, 'etc'));
    writeFileSync(join(logs, 'real/0.log'), '');
    await expect(checkLogPath(logs, 'real/0.log')).resolves.toBeUndefined();
    await expect(checkLogPath(logs, 'new/0.log')).resolves.toBeUndefined();
    await expect(checkLogPath(logs, 'etc/0.log')).rejects.toThrow(/log_path .* symlink/);
    await expect(checkLogPath(logs, '../0.log')).rejects.toThrow(/log_path/);
    await expect(checkLogPath(logs, 'real')).rejects.toThrow(/not a regular file/);
  });
});
