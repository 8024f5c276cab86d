import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PodSandboxConfig__Output } from '../../../api/cri/messages.js';
import type { MountSpec, Mounter } from '../../../common/linux/mounts.js';
import { SandboxFileWriter } from '../../../runtime/sandbox/files-writer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function recordingMounter(): { mounter: Mounter; calls: string[] } {
  const calls: string[] = [];
  const mounted = new Set<string>();
  return {
    calls,
    mounter: {
      async mount(spec: MountSpec, target: string) {
        calls.push(`mount ${spec.type} ${spec.options.join(',')} ${target}`);
        mounted.add(target);
      },
      async bind(source, target) {
        calls.push(`bind ${source} ${target}`);
      },
      async unmount(target) {
        calls.push(`unmount ${target}`);
        mounted.delete(target);
      },
      async mountsUnder(prefix) {
        return [...mounted].filter((p) => p === prefix || p.startsWith(`${prefix}/`));
      },
    },
  };
}

function config(overrides: Partial<PodSandboxConfig__Output> = {}): PodSandboxConfig__Output {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'u-1', attempt: 0 },
    hostname: 'web',
    logDirectory: '',
    dnsConfig: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
    portMappings: [],
    labels: {},
    annotations: {},
    linux: null,
    windows: null,
    ...overrides,
  };
}

function world() {
  const root = mkdtempSync(join(tmpdir(), 'berth-files-'));
  dirs.push(root);
  writeFileSync(join(root, 'host-hosts'), '127.0.0.1 localhost node1\n');
  writeFileSync(join(root, 'host-resolv'), 'nameserver 192.0.2.53\n');
  const rec = recordingMounter();
  const writer = new SandboxFileWriter({
    mounter: rec.mounter,
    hostHostsPath: join(root, 'host-hosts'),
    hostResolvConfPath: join(root, 'host-resolv'),
    hostHostname: 'node1',
  });
  return { root, writer, ...rec };
}

describe('writing a sandbox files', () => {
  it('writes hosts, resolv.conf and hostname readable by every container user', async () => {
    const w = world();
    const files = await w.writer.prepare(w.root, { hostname: 'web', ips: ['10.85.0.5'], config: config(), hostIpc: true });
    expect(readFileSync(files.hostsPath, 'utf8')).toContain('10.85.0.5\tweb\n');
    expect(readFileSync(files.resolvConfPath, 'utf8')).toBe('search default.svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
    expect(readFileSync(files.hostnamePath, 'utf8')).toBe('web\n');
    expect(statSync(files.hostsPath).mode & 0o777).toBe(0o644);
  });

  it('mounts a 64 MiB noexec tmpfs as the pod shm unless the pod uses host IPC', async () => {
    const w = world();
    const files = await w.writer.prepare(w.root, { hostname: 'web', ips: [], config: config(), hostIpc: false });
    expect(files.shmPath).toBe(join(w.root, 'shm'));
    expect(w.calls).toEqual([`mount tmpfs nosuid,nodev,noexec,mode=1777,size=65536k ${join(w.root, 'shm')}`]);
    await w.writer.release(w.root, files);
    expect(w.calls.at(-1)).toBe(`unmount ${join(w.root, 'shm')}`);
  });

  it('gives a host-network pod the node hosts file and hostname', async () => {
    const w = world();
    const hostNetwork = config({
      hostname: '',
      linux: { securityContext: { namespaceOptions: { network: 'NODE' } } } as PodSandboxConfig__Output['linux'],
      dnsConfig: null,
    });
    const files = await w.writer.prepare(w.root, { hostname: '', ips: [], config: hostNetwork, hostIpc: true });
    expect(readFileSync(files.hostsPath, 'utf8')).toBe('127.0.0.1 localhost node1\n');
    expect(readFileSync(files.resolvConfPath, 'utf8')).toBe('nameserver 192.0.2.53\n');
    expect(readFileSync(files.hostnamePath, 'utf8')).toBe('node1\n');
  });
});
