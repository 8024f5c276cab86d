// File capabilities through a whole image, as a user ships them: a static busybox given
// cap_net_bind_service (and, in a second image, a v3 value for rootid 1000) with setcap, archived
// by GNU tar --xattrs on the seeded busybox, pushed to a registry of this file's own, pulled and
// created through the CRI. The container's rootfs carries the exact vfs_cap_data bytes, and a
// process of uid 1000 exec'ed from the file holds CAP_NET_BIND_SERVICE.
import { execa } from 'execa';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriClient } from '../../../cri/client/cri-client.js';
import type { PodSandboxConfig } from '../../../api/cri/messages.js';
import { AttrToolsXattrs } from '../../../runtime/linux/xattr.js';
import { berthFixture } from '../../harness/berth-fixture.js';
import { requireRoot } from '../../harness/root.js';
import { writableRegistryFixture } from '../../harness/writable-registry-fixture.js';
import { ociLayerTar, pushImage, sha256 } from '../images/push.js';
import { seededImageLayers } from '../images/seeded-layers.js';

requireRoot('integration');

const work = mkdtempSync(join(tmpdir(), 'berth-file-caps-'));
const pod: PodSandboxConfig = { metadata: { name: 'file-caps', namespace: 'default', uid: 'file-caps-uid', attempt: 0 } };
const xattrs = new AttrToolsXattrs();
// busybox runs the applet named by argv[1] when its own name starts with "busybox"
const capped = 'usr/bin/busybox-cap';
const images = {
  v2: { setcap: ['cap_net_bind_service=+ep'], hex: '0100000200040000000000000000000000000000' },
  v3: { setcap: ['-n', '1000', 'cap_net_bind_service=+ep'], hex: '0100000300040000000000000000000000000000e8030000' },
};

let client: CriClient;
let podId = '';

/** A layer made by GNU tar from a tree holding the capped busybox: the PAX records as tar writes them. */
async function cappedLayer(name: string, setcap: string[]): Promise<{ blob: Buffer; mediaType: string; diffId: string }> {
  const tree = join(work, name);
  mkdirSync(join(tree, 'usr/bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(tree, capped));
  await execa('setcap', [...setcap, join(tree, capped)]);
  const tarPath = join(work, `${name}.tar`);
  await execa('tar', ['--xattrs', '--xattrs-include=security.capability', '--format=posix', '--owner=0', '--group=0', '-C', tree, '-cf', tarPath, 'usr']);
  const blob = readFileSync(tarPath);
  return { blob, mediaType: ociLayerTar, diffId: sha256(blob) };
}

const imageOf = (tag: string): string => `${own.registry.host}/caps/busybox:${tag}`;

// Before berthFixture: the registry is up when berth starts, and stops after it.
const own = writableRegistryFixture(async (registry) => {
  const base = await seededImageLayers();
  for (const [tag, { setcap }] of Object.entries(images)) {
    await pushImage(registry.url, 'caps/busybox', tag, { layers: [...base, await cappedLayer(tag, setcap)] });
  }
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

const fixture = berthFixture('file-caps', 151, undefined, () => ['--insecure-registry', own.registry.host]);

beforeAll(async () => {
  client = new CriClient({ endpoint: fixture.berth.socket });
  for (const tag of Object.keys(images)) await client.pullImage(imageOf(tag));
  podId = (await client.runPodSandbox(pod)).podSandboxId;
}, 240_000);

afterAll(() => client?.close());

describe('file capabilities in a pulled image', () => {
  for (const [tag, { hex }] of Object.entries(images)) {
    it(`keeps the ${tag} security.capability bytes on the container's file`, async () => {
      const { containerId } = await client.createContainer(podId, { metadata: { name: `caps-${tag}` }, image: { image: imageOf(tag) }, command: [`/${capped}`, 'sleep', '60'] }, pod);
      const onDisk = await xattrs.get(join(fixture.berth.stateDir, 'containers', containerId, 'rootfs', capped), 'security.capability');
      expect(onDisk?.toString('hex')).toBe(hex);
    });
  }

  it("gives a uid-1000 process exec'ed from the file CAP_NET_BIND_SERVICE, and only it", async () => {
    const { containerId } = await client.createContainer(
      podId,
      {
        metadata: { name: 'caps-run' },
        image: { image: imageOf('v2') },
        command: [`/${capped}`, 'sleep', '60'],
        linux: { securityContext: { runAsUser: { value: '1000' } } },
      },
      pod,
    );
    await client.startContainer(containerId);
    const { stdout, exitCode } = await client.execSync(containerId, [`/${capped}`, 'grep', '^CapEff', '/proc/self/status'], 10);
    expect(exitCode).toBe(0);
    expect(stdout.toString().trim()).toBe('CapEff:\t0000000000000400');
  });
});
