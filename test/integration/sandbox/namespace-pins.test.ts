// Pinned namespaces with the real util-linux unshare/nsenter and real bind mounts.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LinuxMounter } from '../../../common/linux/mounts.js';
import { LinuxNamespacePinner, type NamespacePinPaths } from '../../../runtime/linux/namespaces.js';
import { mountSandboxShm, unmountSandboxShm } from '../../../runtime/sandbox/shm.js';
import { requireRoot } from '../../harness/root.js';

requireRoot('integration');

const root = mkdtempSync(join(tmpdir(), 'berth-pins-'));
const mounter = new LinuxMounter();
const pinner = new LinuxNamespacePinner({ root, mounter });
const created: NamespacePinPaths[] = [];
const shms: string[] = [];

function mountsUnderRoot(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(`${root}/`));
}

async function pin(name: string, hostname = name): Promise<NamespacePinPaths> {
  const pins = await pinner.create(join(root, name, 'ns'), { network: true, ipc: true, uts: true }, hostname);
  created.push(pins);
  return pins;
}

beforeAll(() => {
  expect(existsSync('/usr/bin/unshare')).toBe(true);
});

afterEach(async () => {
  for (const path of shms.splice(0)) await unmountSandboxShm(mounter, path).catch(() => undefined);
  for (const pins of created.splice(0)) await pinner.remove(pins).catch(() => undefined);
});

afterAll(async () => {
  await pinner.releaseRoot().catch(() => undefined);
  for (const point of await mounter.mountsUnder(root)) await mounter.unmount(point, { detach: true }).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

describe('pinned namespaces (real unshare, nsenter, mount)', () => {
  it('pins fresh network, IPC and UTS namespaces that outlive the process that made them', async () => {
    const pins = await pin('a');
    const listed = await pinner.list();
    expect(listed.map((p) => p.kind).sort()).toEqual(['ipc', 'net', 'uts']);
    // unshare has exited; the namespaces live on only through the pins, and they are new ones.
    const hostNet = readlinkSync('/proc/self/ns/net');
    const pinnedNet = listed.find((p) => p.kind === 'net');
    expect(hostNet).not.toBe(`net:[${pinnedNet?.inode}]`);
    const { stdout } = await execa('nsenter', [`--net=${pins.network}`, 'ip', '-o', 'link']);
    expect(
      stdout
        .trim()
        .split('\n')
        .map((l) => l.split(':')[1]?.trim()),
    ).toEqual(['lo']);
  });

  it('sets the hostname inside the UTS namespace only', async () => {
    const pins = await pin('b', 'pod-b');
    const { stdout } = await execa('nsenter', [`--uts=${pins.uts}`, 'hostname']);
    expect(stdout.trim()).toBe('pod-b');
    await pinner.setHostname(pins.uts ?? '', 'renamed');
    expect((await execa('nsenter', [`--uts=${pins.uts}`, 'hostname'])).stdout.trim()).toBe('renamed');
    expect((await execa('hostname')).stdout.trim()).not.toBe('renamed');
  });

  it('makes the pin root a private mount so pins do not propagate', async () => {
    await pin('c');
    const line = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[4] === root);
    expect(line).toBeDefined();
    expect(line).not.toMatch(/ shared:\d+ /);
  });

  it('removes pins without leaving mounts or files, and removing twice is fine', async () => {
    const pins = await pin('d');
    await pinner.remove(pins);
    await pinner.remove(pins);
    expect(mountsUnderRoot()).toEqual([]);
    expect(existsSync(join(root, 'd', 'ns'))).toBe(false);
    expect(await pinner.inspect(pins.network ?? '')).toBeUndefined();
  });

  it('lets a restarted berth find the pins an earlier one made', async () => {
    const pins = await pin('g');
    const restarted = new LinuxNamespacePinner({ root, mounter });
    expect((await restarted.list()).map((p) => p.path).sort()).toEqual([pins.ipc, pins.network, pins.uts].sort());
    expect(await restarted.inspect(pins.uts ?? '')).toMatchObject({ kind: 'uts' });
  });

  it('pins only the namespaces asked for', async () => {
    const pins = await pinner.create(join(root, 'e', 'ns'), { ipc: true }, '');
    created.push(pins);
    expect(Object.keys(pins)).toEqual(['ipc']);
    expect((await pinner.list()).map((p) => p.kind)).toEqual(['ipc']);
  });

  it('refuses a pin dir outside the pin root', async () => {
    await expect(pinner.create(join(tmpdir(), 'elsewhere'), { network: true }, '')).rejects.toThrow(/must be inside the pin root/);
  });

  it('mounts the pod shm as a 64 MiB noexec tmpfs and unmounts it', async () => {
    const path = await mountSandboxShm(mounter, join(root, 'f'));
    shms.push(path);
    const line =
      readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .find((l) => l.split(' ')[4] === path) ?? '';
    expect(line).toMatch(/ - tmpfs /);
    expect(line).toMatch(/nosuid,nodev,noexec/);
    expect(line).toMatch(/size=65536k/);
    // mountinfo omits tmpfs's default mode: the directory itself shows it.
    expect(statSync(path).mode & 0o7777).toBe(0o1777);
    await unmountSandboxShm(mounter, path);
    expect(mountsUnderRoot()).toEqual([]);
    expect(existsSync(path)).toBe(false);
  });
});
