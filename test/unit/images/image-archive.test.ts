// The archive berth save writes and berth load reads: docker-archive and OCI layout in one tar.
// Round trips go through a real content store and image store in a temp dir; hostile
// docker-archives are refused.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, symlinkSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentStore } from '../../../runtime/images/content-store.js';
import { sha256Of, type Digest } from '../../../runtime/images/digest.js';
import { archiveLayout, extractArchive, hashLayerFile, readDockerArchive, writeArchive, type SavedImage } from '../../../runtime/images/image-archive.js';
import type { ImageRecord } from '../../../runtime/images/image-store.js';
import { importOciLayout } from '../../../runtime/images/import.js';
import { ImageStore } from '../../../runtime/images/image-store.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-archive-unit-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A one-layer image in `content`: the layer gzip'ed, its config and an OCI manifest. */
async function storedImage(content: ContentStore, tags: string[]): Promise<{ saved: SavedImage; blobs: Map<Digest, Buffer> }> {
  const tar = Buffer.alloc(1024, 0); // an empty tar: two zero blocks
  const layer = gzipSync(tar);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Of(tar)] }, config: { Cmd: ['sh'] } }));
  const layerDescriptor = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256Of(layer), size: layer.length };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Of(config), size: config.length },
      layers: [layerDescriptor],
    }),
  );
  const blobs = new Map<Digest, Buffer>([
    [sha256Of(layer), layer],
    [sha256Of(config), config],
    [sha256Of(manifest), manifest],
  ]);
  for (const [digest, bytes] of blobs) await content.ingestBytes(bytes, digest);
  const record: ImageRecord = {
    version: 1,
    id: sha256Of(config),
    repoTags: tags,
    repoDigests: [],
    size: config.length + layer.length,
    config: JSON.parse(config.toString()) as ImageRecord['config'],
    manifestDigest: sha256Of(manifest),
    manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    layers: [layerDescriptor],
    diffIds: [sha256Of(tar)],
    pinned: false,
    createdAt: '',
    updatedAt: '',
  };
  return { saved: { record, manifestSize: manifest.length, tags }, blobs };
}

async function bytesOf(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('archiveLayout', () => {
  it('writes docker 25+ files: index.json with containerd names, manifest.json, repositories, oci-layout', async () => {
    const { saved } = await storedImage(new ContentStore(tempDir()), ['docker.io/library/busybox:latest', '127.0.0.1:5000/tools/busybox:1']);
    const layout = archiveLayout([saved]);
    const files = new Map(layout.files.map((file) => [file.name, JSON.parse(file.bytes.toString()) as unknown]));
    const hex = (digest: string) => digest.slice('sha256:'.length);
    expect(files.get('manifest.json')).toEqual([
      {
        Config: `blobs/sha256/${hex(saved.record.id)}`,
        RepoTags: ['busybox:latest', '127.0.0.1:5000/tools/busybox:1'],
        Layers: [`blobs/sha256/${hex(saved.record.layers[0]?.digest ?? '')}`],
      },
    ]);
    expect(files.get('index.json')).toMatchObject({
      schemaVersion: 2,
      manifests: [
        {
          digest: saved.record.manifestDigest,
          size: saved.manifestSize,
          annotations: { 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' },
        },
        { digest: saved.record.manifestDigest, annotations: { 'io.containerd.image.name': '127.0.0.1:5000/tools/busybox:1', 'org.opencontainers.image.ref.name': '1' } },
      ],
    });
    expect(files.get('repositories')).toEqual({ busybox: { latest: hex(saved.record.layers[0]?.digest ?? '') }, '127.0.0.1:5000/tools/busybox': { '1': hex(saved.record.layers[0]?.digest ?? '') } });
    expect(files.get('oci-layout')).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(layout.blobs).toEqual([saved.record.layers[0]?.digest, saved.record.id, saved.record.manifestDigest]);
  });

  it('saves an image by id without names (RepoTags null, no repositories file)', async () => {
    const { saved } = await storedImage(new ContentStore(tempDir()), []);
    const layout = archiveLayout([saved]);
    expect(layout.files.map((file) => file.name)).toEqual(['index.json', 'manifest.json', 'oci-layout']);
    expect(JSON.parse(layout.files[1]?.bytes.toString() ?? '')).toMatchObject([{ RepoTags: null }]);
  });
});

describe('writeArchive → load', () => {
  it('keeps every blob byte for byte through the OCI view', async () => {
    const source = new ContentStore(tempDir());
    const { saved, blobs } = await storedImage(source, ['docker.io/library/busybox:latest']);
    const work = tempDir();
    writeFileSync(join(work, 'image.tar'), await bytesOf(writeArchive(archiveLayout([saved]), source)));
    mkdirSync(join(work, 'x'));
    await extractArchive(join(work, 'image.tar'), join(work, 'x'));
    for (const [digest, bytes] of blobs) expect(readFileSync(join(work, 'x/blobs/sha256', digest.slice(7)))).toEqual(bytes);

    const target = tempDir();
    const images = await ImageStore.open(target);
    const [record] = await importOciLayout(join(work, 'x'), { content: new ContentStore(target), images });
    expect(record?.id).toBe(saved.record.id);
    expect(record?.manifestDigest).toBe(saved.record.manifestDigest);
    expect(record?.repoTags).toEqual(['docker.io/library/busybox:latest']);
  });

  it('reads the docker-archive view as the same image (layers as stored, names from RepoTags)', async () => {
    const source = new ContentStore(tempDir());
    const { saved } = await storedImage(source, ['docker.io/library/busybox:latest']);
    const work = tempDir();
    writeFileSync(join(work, 'image.tar'), await bytesOf(writeArchive(archiveLayout([saved]), source)));
    mkdirSync(join(work, 'x'));
    await extractArchive(join(work, 'image.tar'), join(work, 'x'));
    rmSync(join(work, 'x/index.json'));
    const [image] = await readDockerArchive(join(work, 'x'), 'test archive');
    expect(image?.tags).toEqual(['docker.io/library/busybox:latest']);
    expect([...(image?.blobs.keys() ?? [])].sort()).toEqual([saved.record.id, saved.record.layers[0]?.digest].sort());
  });
});

describe('docker-archive reading refuses', () => {
  async function archiveDir(manifest: unknown, files: Record<string, string | Buffer> = {}): Promise<string> {
    const dir = tempDir();
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
    return dir;
  }
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Of(Buffer.alloc(1024))] } });

  it.each<[string, unknown, Record<string, string | Buffer>, RegExp]>([
    ['a config path leaving the archive', [{ Config: '../etc/passwd', Layers: [] }], {}, /leaves the archive/],
    ['an absolute layer path', [{ Config: 'c.json', Layers: ['/etc/passwd'] }], { 'c.json': config }, /leaves the archive/],
    ['a missing layer', [{ Config: 'c.json', Layers: ['absent.tar'] }], { 'c.json': config }, /lacks absent.tar/],
    ['a layer that is not what the config says', [{ Config: 'c.json', Layers: ['l.tar'] }], { 'c.json': config, 'l.tar': Buffer.alloc(2048) }, /unpacks to .* but the config says/],
    ['a manifest.json that is not a list', { Config: 'c.json' }, {}, /not a list of images/],
    ['RepoTags that are not names', [{ Config: 'c.json', Layers: [], RepoTags: [7] }], { 'c.json': config }, /RepoTags/],
  ])('%s', async (_name, manifest, files, expected) => {
    await expect(readDockerArchive(await archiveDir(manifest, files), 'test archive')).rejects.toThrow(expected);
  });

  it('a layer that is a symlink, even to a file inside', async () => {
    const dir = await archiveDir([{ Config: 'c.json', Layers: ['link.tar'] }], { 'c.json': config, 'l.tar': Buffer.alloc(1024) });
    symlinkSync('l.tar', join(dir, 'link.tar'));
    await expect(readDockerArchive(dir, 'test archive')).rejects.toThrow(/not a regular file/);
  });
});

describe('hashLayerFile', () => {
  it('gives a plain tar its own digest as diff_id and a gzip one the digest of its tar', async () => {
    const dir = tempDir();
    const tar = Buffer.alloc(1024, 0);
    writeFileSync(join(dir, 'plain'), tar);
    writeFileSync(join(dir, 'gz'), gzipSync(tar));
    expect(await hashLayerFile(join(dir, 'plain'))).toEqual({ digest: sha256Of(tar), size: 1024, diffId: sha256Of(tar), gzipped: false });
    expect(await hashLayerFile(join(dir, 'gz'))).toMatchObject({ digest: sha256Of(gzipSync(tar)), diffId: sha256Of(tar), gzipped: true });
  });
});

describe('extractArchive', () => {
  async function tarOf(entries: { name: string; type?: 'symlink' | 'link' | 'file' | 'fifo'; linkname?: string; body?: string }[]): Promise<string> {
    const archive = pack();
    for (const { body, ...header } of entries) archive.entry(header, body ?? '');
    archive.finalize();
    const path = join(tempDir(), 'a.tar');
    writeFileSync(path, await bytesOf(archive));
    return path;
  }

  it('writes files and skips links, so nothing extracted points anywhere', async () => {
    const tar = await tarOf([
      { name: 'manifest.json', body: '[]' },
      { name: 'abc/layer.tar', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'hard', type: 'link', linkname: 'manifest.json' },
    ]);
    const dir = tempDir();
    await extractArchive(tar, dir);
    expect(readdirSync(dir).sort()).toEqual(['manifest.json']);
  });

  it.each([
    ['a path leaving the folder', [{ name: '../evil', body: 'x' }], /escapes the archive root/],
    ['a fifo', [{ name: 'pipe', type: 'fifo' as const }], /may hold only files/],
    [
      'the same file twice',
      [
        { name: 'a', body: '1' },
        { name: 'a', body: '2' },
      ],
      /EEXIST/,
    ],
  ])('refuses %s', async (_name, entries, expected) => {
    await expect(extractArchive(await tarOf(entries), tempDir())).rejects.toThrow(expected);
  });
});
