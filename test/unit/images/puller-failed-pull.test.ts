// A failed pull deletes the blobs it wrote, except those a recorded image or another pull in
// flight needs. The registry is a fake whose blob sources the test opens and closes by hand, so
// the two pulls interleave exactly as described.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentStore, DigestMismatchError } from '../../../runtime/images/content-store.js';
import type { Digest } from '../../../runtime/images/digest.js';
import { ImageStore } from '../../../runtime/images/image-store.js';
import { mediaTypes } from '../../../runtime/images/oci-types.js';
import { Puller } from '../../../runtime/images/puller.js';
import type { RegistryClient } from '../../../runtime/images/registry-client.js';

const sha = (bytes: Uint8Array): Digest => `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

interface FakeImage {
  manifest: Buffer;
  config: Buffer;
}

/** blobs: digest → bytes served (or a function awaited first); images: tag → manifest bytes. */
function fakeRegistry(images: Map<string, Buffer>, blobs: Map<string, () => Promise<Buffer>>): RegistryClient {
  const manifestOf = (bytes: Buffer) => ({ digest: sha(bytes), mediaType: mediaTypes.ociManifest, size: bytes.length, bytes });
  const repository = {
    getManifest: async (reference: string) => manifestOf(images.get(reference) ?? Buffer.alloc(0)),
    blobSource: (descriptor: { digest: string }) => async () => {
      const bytes = await (blobs.get(descriptor.digest) ?? (async () => Buffer.alloc(0)))();
      return { start: 0, body: [bytes].values() as unknown as AsyncIterable<Uint8Array> };
    },
  };
  return {
    resolve: async (reference: { tag?: string }) => ({ repository, manifest: manifestOf(images.get(reference.tag ?? '') ?? Buffer.alloc(0)) }),
  } as unknown as RegistryClient;
}

function image(name: string, layers: Buffer[]): FakeImage {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map(sha) } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: mediaTypes.ociConfig, digest: sha(config), size: config.length },
      layers: layers.map((layer) => ({ mediaType: mediaTypes.ociLayer, digest: sha(layer), size: layer.length })),
      annotations: { name },
    }),
  );
  return { manifest, config };
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('a failed pull', () => {
  it('deletes what it wrote but keeps a layer another pull in flight counts on', async () => {
    const root = await mkdtemp(join(tmpdir(), 'berth-puller-'));
    dirs.push(root);
    const shared = Buffer.from('shared layer bytes');
    const broken = Buffer.from('the layer the registry corrupts');
    const failing = image('failing', [shared, broken]);
    const other = image('other', [shared]);
    const brokenGate = gate();
    const blobs = new Map<string, () => Promise<Buffer>>([
      [sha(shared), async () => shared],
      [sha(failing.config), async () => failing.config],
      [sha(other.config), async () => other.config],
      [
        sha(broken),
        async () => {
          await brokenGate.wait;
          return Buffer.from('other bytes of the same len!!!!');
        },
      ],
    ]);
    const content = new ContentStore(root);
    const images = await ImageStore.open(root);
    const puller = new Puller({
      registry: fakeRegistry(
        new Map([
          ['failing', failing.manifest],
          ['other', other.manifest],
        ]),
        blobs,
      ),
      content,
      images,
    });

    const failed = puller.pull('example.com/failing:failing');
    while (!(await content.has(sha(shared)))) await new Promise((resolve) => setTimeout(resolve, 5));

    // The second pull finds the shared layer already there and holds on to it while it unpacks.
    const unpackGate = gate();
    let unpacking = (): void => undefined;
    const unpackStarted = new Promise<void>((resolve) => (unpacking = resolve));
    const second = puller.pull('example.com/other:other', {
      beforeRecord: async () => {
        unpacking();
        await unpackGate.wait;
      },
    });
    await unpackStarted;

    brokenGate.open();
    await expect(failed).rejects.toThrow(DigestMismatchError);
    expect(await content.has(sha(shared))).toBe(true);
    for (const digest of [sha(failing.manifest), sha(failing.config), sha(broken)]) expect(await content.has(digest)).toBe(false);

    unpackGate.open();
    const record = await second;
    expect(record.layers.map((layer) => layer.digest)).toEqual([sha(shared)]);
    expect(images.list().map((listed) => listed.id)).toEqual([sha(other.config)]);
  });

  it('deletes every blob it wrote when the step before the record fails', async () => {
    const root = await mkdtemp(join(tmpdir(), 'berth-puller-'));
    dirs.push(root);
    const layer = Buffer.from('a layer');
    const only = image('only', [layer]);
    const blobs = new Map<string, () => Promise<Buffer>>([
      [sha(layer), async () => layer],
      [sha(only.config), async () => only.config],
    ]);
    const content = new ContentStore(root);
    const images = await ImageStore.open(root);
    const puller = new Puller({ registry: fakeRegistry(new Map([['only', only.manifest]]), blobs), content, images });
    await expect(
      puller.pull('example.com/only:only', {
        beforeRecord: async () => {
          throw new Error('unpack failed');
        },
      }),
    ).rejects.toThrow('unpack failed');
    expect(await content.list()).toEqual([]);
    expect(images.list()).toEqual([]);
  });
});
