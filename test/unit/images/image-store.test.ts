import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../common/errors.js';
import type { Digest } from '../../../runtime/images/digest.js';
import { ImageStore, type NewImage } from '../../../runtime/images/image-store.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-images-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const digest = (prefix: string): Digest => `sha256:${prefix.padEnd(64, '0')}`;

function image(idPrefix: string, tags: string[], layers: Digest[] = [digest('fee1')]): NewImage {
  return {
    id: digest(idPrefix),
    repoTags: tags,
    repoDigests: tags.map((tag) => `${tag.slice(0, tag.lastIndexOf(':'))}@${digest(`ab${idPrefix}`)}`),
    size: 10,
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map(() => digest('d1ff')) } },
    manifestDigest: digest(`ab${idPrefix}`),
    manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    layers: layers.map((layer) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: 5 })),
    diffIds: layers.map(() => digest('d1ff')),
  };
}

describe('image store', () => {
  it('finds an image by full id, id prefix, short tag and digest reference', async () => {
    const store = await ImageStore.open(tempDir());
    await store.add(image('1234abcd', ['docker.io/library/busybox:latest']));
    const id = digest('1234abcd');
    expect(store.get(id)?.id).toBe(id);
    expect(store.get(id.slice('sha256:'.length))?.id).toBe(id);
    expect(store.get('1234abcd')?.id).toBe(id);
    expect(store.get('busybox')?.id).toBe(id);
    expect(store.get('docker.io/library/busybox:latest')?.id).toBe(id);
    expect(store.get(`busybox@${digest('ab1234abcd')}`)?.id).toBe(id);
  });

  it('answers undefined for an image it does not have', async () => {
    const store = await ImageStore.open(tempDir());
    await store.add(image('1234', ['docker.io/library/busybox:latest']));
    expect(store.get('busybox:other')).toBeUndefined();
    expect(store.get('5678')).toBeUndefined();
  });

  it('refuses an ambiguous id prefix', async () => {
    const store = await ImageStore.open(tempDir());
    await store.add(image('aaaa1', []));
    await store.add(image('aaaa2', []));
    expect(() => store.get('aaaa')).toThrow(InvalidArgumentError);
  });

  it('ignores an id prefix shorter than four characters', async () => {
    const store = await ImageStore.open(tempDir());
    await store.add(image('abc1', []));
    expect(store.get('abc')).toBeUndefined();
  });

  it('moves a tag to the image that was tagged last and keeps the old image listed by id', async () => {
    const dir = tempDir();
    const store = await ImageStore.open(dir);
    await store.add(image('1111', ['docker.io/library/busybox:latest']));
    await store.add(image('2222', ['docker.io/library/busybox:latest']));
    expect(store.get('busybox')?.id).toBe(digest('2222'));
    expect(store.get(digest('1111'))?.repoTags).toEqual([]);
    const reopened = await ImageStore.open(dir);
    expect(reopened.list().map((i) => [i.id, i.repoTags])).toEqual(
      expect.arrayContaining([
        [digest('1111'), []],
        [digest('2222'), ['docker.io/library/busybox:latest']],
      ]),
    );
  });

  it('merges the names of two pulls of the same config', async () => {
    const store = await ImageStore.open(tempDir());
    await store.add(image('1111', ['docker.io/library/busybox:latest']));
    await store.add(image('1111', ['docker.io/library/busybox:1']));
    expect(store.get('busybox:1')?.repoTags).toEqual(['docker.io/library/busybox:latest', 'docker.io/library/busybox:1']);
  });

  it('tags an image with a normalized name, taking the tag from another image', async () => {
    const store = await ImageStore.open(tempDir());
    await store.add(image('1111', ['docker.io/library/a:1']));
    await store.add(image('2222', ['docker.io/library/b:1']));
    await store.tag('b:1', 'a:1');
    expect(store.get('a:1')?.id).toBe(digest('2222'));
    expect(store.get(digest('1111'))?.repoTags).toEqual([]);
  });

  it('removes every tag of an image when one tag is removed', async () => {
    const store = await ImageStore.open(tempDir());
    await store.add(image('1111', ['docker.io/library/a:1', 'docker.io/library/a:2']));
    const result = await store.remove('a:1');
    expect(result?.removed.id).toBe(digest('1111'));
    expect(store.get('a:2')).toBeUndefined();
    expect(store.list()).toEqual([]);
  });

  it('reports only the blobs no remaining image references after a removal', async () => {
    const store = await ImageStore.open(tempDir());
    await store.add(image('1111', ['docker.io/library/a:1'], [digest('5a4ed'), digest('0111')]));
    await store.add(image('2222', ['docker.io/library/b:1'], [digest('5a4ed')]));
    const result = await store.remove('a:1');
    expect(result?.unreferencedBlobs.sort()).toEqual([digest('0111'), digest('1111'), digest('ab1111')].sort());
  });

  it('answers undefined when removing an image it does not have', async () => {
    const store = await ImageStore.open(tempDir());
    expect(await store.remove('busybox')).toBeUndefined();
  });

  it('keeps pinned across reopen', async () => {
    const dir = tempDir();
    const store = await ImageStore.open(dir);
    await store.add({ ...image('1111', ['docker.io/library/pause:3.9']), pinned: true });
    expect((await ImageStore.open(dir)).get('pause:3.9')?.pinned).toBe(true);
  });

  it('quarantines a corrupt record and loads the others', async () => {
    const dir = tempDir();
    const store = await ImageStore.open(dir);
    await store.add(image('1111', ['docker.io/library/a:1']));
    writeFileSync(join(dir, 'images', `${'2'.repeat(64)}.json`), '{ not json');
    const reopened = await ImageStore.open(dir);
    expect(reopened.list().map((i) => i.id)).toEqual([digest('1111')]);
    expect(readdirSync(join(dir, 'images')).filter((name) => name.includes('.corrupt-'))).toHaveLength(1);
  });

  it('gives the newer image a tag that two records claim after a crash', async () => {
    const dir = tempDir();
    let clock = 1_000;
    const store = await ImageStore.open(dir, { now: () => new Date(clock++) });
    await store.add(image('1111', ['docker.io/library/a:1']));
    const newer = await store.add(image('2222', ['docker.io/library/b:1']));
    // Simulate a crash between the two writes of a tag move: both records claim a:1.
    writeFileSync(join(dir, 'images', `${'2222'.padEnd(64, '0')}.json`), JSON.stringify({ ...newer, repoTags: ['docker.io/library/a:1'] }));
    const reopened = await ImageStore.open(dir);
    expect(reopened.get('a:1')?.id).toBe(digest('2222'));
    expect(reopened.get(digest('1111'))?.repoTags).toEqual([]);
  });
});
