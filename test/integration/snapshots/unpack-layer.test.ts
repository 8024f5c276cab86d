// The layer unpacker with the real adapters (mknod, setfattr/getfattr, zstd): what a layer says
// about each entry is what lands on disk, whatever the compression.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decompressLayer } from '../../../runtime/images/decompress.js';
import type { ImageManifest, ImageIndex } from '../../../runtime/images/oci-types.js';
import { MknodDeviceNodes } from '../../../runtime/linux/device-nodes.js';
import { AttrToolsXattrs } from '../../../runtime/linux/xattr.js';
import { unpackLayer } from '../../../runtime/snapshots/unpack-layer.js';
import { requireRoot } from '../../harness/root.js';
import { seededOciLayout } from '../../harness/tools.js';
import { buildTar, type TarEntry } from './tar-fixtures.js';

requireRoot('integration');

const xattrs = new AttrToolsXattrs();
const deps = { xattrs, devices: new MknodDeviceNodes() };
let work: string;
let counter = 0;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'berth-unpack-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function freshDir(): string {
  counter += 1;
  const dir = join(work, String(counter));
  mkdirSync(dir);
  return dir;
}

const mtime = new Date('2023-11-14T22:13:20.000Z');

const richLayer: TarEntry[] = [
  { name: 'bin/', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime },
  { name: 'bin/tool', type: 'file', mode: 0o4755, uid: 0, gid: 0, mtime, content: '#!/bin/sh\necho tool\n' },
  { name: 'bin/setgid', type: 'file', mode: 0o2711, uid: 1000, gid: 50, mtime, content: 'g' },
  { name: 'tmp/', type: 'directory', mode: 0o1777, uid: 0, gid: 0, mtime },
  { name: 'home/user/', type: 'directory', mode: 0o700, uid: 1000, gid: 1000, mtime },
  { name: 'home/user/notes', type: 'file', mode: 0o600, uid: 1000, gid: 1000, mtime, content: 'secret' },
  { name: 'bin/alias', type: 'link', linkname: 'bin/tool', mtime },
  { name: 'bin/sh', type: 'symlink', linkname: '/bin/tool', uid: 1000, gid: 1000, mtime },
  { name: 'bin/dangling', type: 'symlink', linkname: '../../nowhere/at/all', mtime },
  { name: 'dev/null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3, mtime },
  { name: 'dev/loop9', type: 'block-device', mode: 0o660, gid: 6, devmajor: 7, devminor: 9, mtime },
  { name: 'run/pipe', type: 'fifo', mode: 0o620, mtime },
  { name: 'etc/labelled', type: 'file', mode: 0o644, mtime, content: 'x', pax: { 'SCHILY.xattr.user.berth': 'hello' } },
  { name: 'etc/overlay-trick', type: 'file', mode: 0o644, mtime, content: 'y', pax: { 'SCHILY.xattr.trusted.overlay.redirect': '/x' } },
];

function mode(path: string): number {
  return lstatSync(path).mode & 0o7777;
}

describe('unpackLayer with the real adapters', () => {
  it('preserves modes with setuid, setgid and sticky bits, owners and mtimes', async () => {
    const dir = freshDir();
    await unpackLayer(Readable.from([await buildTar(richLayer)]), dir, deps);
    expect(mode(join(dir, 'bin/tool'))).toBe(0o4755);
    expect(mode(join(dir, 'bin/setgid'))).toBe(0o2711);
    expect(mode(join(dir, 'tmp'))).toBe(0o1777);
    expect(mode(join(dir, 'home/user'))).toBe(0o700);
    const setgid = lstatSync(join(dir, 'bin/setgid'));
    expect([setgid.uid, setgid.gid]).toEqual([1000, 50]);
    expect(lstatSync(join(dir, 'bin/tool')).mtime).toEqual(mtime);
    expect(lstatSync(join(dir, 'home/user')).mtime).toEqual(mtime);
    expect(readFileSync(join(dir, 'home/user/notes'), 'utf8')).toBe('secret');
  });

  it('stores symlink targets as written and owns the link itself', async () => {
    const dir = freshDir();
    await unpackLayer(Readable.from([await buildTar(richLayer)]), dir, deps);
    expect(readlinkSync(join(dir, 'bin/sh'))).toBe('/bin/tool');
    expect(readlinkSync(join(dir, 'bin/dangling'))).toBe('../../nowhere/at/all');
    expect(lstatSync(join(dir, 'bin/sh')).uid).toBe(1000);
  });

  it('makes hardlinks share the inode of their target', async () => {
    const dir = freshDir();
    await unpackLayer(Readable.from([await buildTar(richLayer)]), dir, deps);
    expect(lstatSync(join(dir, 'bin/alias')).ino).toBe(lstatSync(join(dir, 'bin/tool')).ino);
    expect(lstatSync(join(dir, 'bin/tool')).nlink).toBe(2);
  });

  it('creates character and block devices and fifos with their numbers and modes', async () => {
    const dir = freshDir();
    await unpackLayer(Readable.from([await buildTar(richLayer)]), dir, deps);
    const nullDev = lstatSync(join(dir, 'dev/null'));
    expect(nullDev.isCharacterDevice()).toBe(true);
    expect([nullDev.rdev >> 8, nullDev.rdev & 0xff, nullDev.mode & 0o7777]).toEqual([1, 3, 0o666]);
    const loop = lstatSync(join(dir, 'dev/loop9'));
    expect(loop.isBlockDevice()).toBe(true);
    expect([loop.rdev >> 8, loop.rdev & 0xff, loop.gid]).toEqual([7, 9, 6]);
    const pipe = lstatSync(join(dir, 'run/pipe'));
    expect([pipe.isFIFO(), pipe.mode & 0o7777]).toEqual([true, 0o620]);
  });

  it('sets xattrs from PAX headers and skips overlayfs metadata a layer may not set', async () => {
    const dir = freshDir();
    await unpackLayer(Readable.from([await buildTar(richLayer)]), dir, deps);
    expect((await xattrs.get(join(dir, 'etc/labelled'), 'user.berth'))?.toString()).toBe('hello');
    expect(await xattrs.get(join(dir, 'etc/overlay-trick'), 'trusted.overlay.redirect')).toBeUndefined();
  });

  it('converts whiteouts to 0:0 character devices and opaque markers to the overlay xattr', async () => {
    const dir = freshDir();
    const tar = await buildTar([
      { name: 'a/', type: 'directory', mode: 0o755 },
      { name: 'a/.wh.gone', type: 'file', content: '' },
      { name: 'o/.wh..wh..opq', type: 'file', content: '' },
    ]);
    await unpackLayer(Readable.from([tar]), dir, deps);
    const whiteout = lstatSync(join(dir, 'a/gone'));
    expect([whiteout.isCharacterDevice(), whiteout.rdev]).toEqual([true, 0]);
    expect(readdirSync(join(dir, 'a'))).toEqual(['gone']);
    expect((await xattrs.get(join(dir, 'o'), 'trusted.overlay.opaque'))?.toString()).toBe('y');
    expect(readdirSync(join(dir, 'o'))).toEqual([]);
  });

  it('keeps the last of entries that name one path: a file over a file, a file over a directory, a directory twice', async () => {
    const dir = freshDir();
    const later = new Date('2024-01-01T00:00:00.000Z');
    const tar = await buildTar([
      { name: 'twice', type: 'file', mode: 0o644, content: 'first' },
      { name: 'twice', type: 'file', mode: 0o600, content: 'second' },
      { name: 'was-dir/', type: 'directory', mode: 0o755 },
      { name: 'was-dir/child', type: 'file', content: 'gone' },
      { name: 'was-dir', type: 'file', mode: 0o644, content: 'now a file' },
      { name: 'listed/', type: 'directory', mode: 0o755, mtime },
      { name: 'listed/inner', type: 'file', content: 'x' },
      { name: 'listed/', type: 'directory', mode: 0o750, mtime: later },
    ]);
    await unpackLayer(Readable.from([tar]), dir, deps);
    expect([readFileSync(join(dir, 'twice'), 'utf8'), mode(join(dir, 'twice'))]).toEqual(['second', 0o600]);
    expect(readFileSync(join(dir, 'was-dir'), 'utf8')).toBe('now a file');
    expect([mode(join(dir, 'listed')), lstatSync(join(dir, 'listed')).mtime]).toEqual([0o750, later]);
  });

  it('writes a many-megabyte file and the small files around it byte for byte', async () => {
    const dir = freshDir();
    const big = Buffer.alloc(5 * 1024 * 1024 + 123);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    const tar = await buildTar([
      { name: 'a/small', type: 'file', content: 'before' },
      { name: 'a/big', type: 'file', mode: 0o640, uid: 1000, content: big },
      { name: 'a/after', type: 'file', content: 'after' },
    ]);
    await unpackLayer(decompressLayer(Readable.from([gzipSync(tar)])), dir, deps);
    expect(readFileSync(join(dir, 'a/big')).equals(big)).toBe(true);
    expect([mode(join(dir, 'a/big')), lstatSync(join(dir, 'a/big')).uid]).toEqual([0o640, 1000]);
    expect([readFileSync(join(dir, 'a/small'), 'utf8'), readFileSync(join(dir, 'a/after'), 'utf8')]).toEqual(['before', 'after']);
  });

  it('gives the same tree and the same diff_id for plain, gzip and zstd layers', async () => {
    const tar = await buildTar(richLayer);
    const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
    const zstd = (await execa('zstd', ['-q', '-c'], { input: tar, encoding: 'buffer' })).stdout;
    const blobs = { plain: tar, gzip: gzipSync(tar), zstd: Buffer.from(zstd) };
    const trees: string[] = [];
    for (const [kind, blob] of Object.entries(blobs)) {
      const dir = freshDir();
      const result = await unpackLayer(decompressLayer(Readable.from([blob])), dir, deps);
      expect(result, kind).toMatchObject({ diffId, size: tar.length, entries: richLayer.length });
      trees.push((await execa('find', ['.', '-printf', '%p %M %U:%G %s %l\\n'], { cwd: dir })).stdout.split('\n').sort().join('\n'));
    }
    expect(trees[1]).toBe(trees[0]);
    expect(trees[2]).toBe(trees[0]);
  });

  it('fails a zstd bomb with RESOURCE_EXHAUSTED and leaves no zstd process behind', async () => {
    const bombTar = await buildTar([{ name: 'zeros', type: 'file', content: Buffer.alloc(64 * 1024 * 1024) }]);
    const bomb = Buffer.from((await execa('zstd', ['-q', '-19', '-c'], { input: bombTar, encoding: 'buffer' })).stdout);
    const dir = freshDir();
    const unpack = unpackLayer(decompressLayer(Readable.from([bomb]), { maxBytes: 8 * 1024 * 1024 }), dir, deps);
    await expect(unpack).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(await zstdChildrenAfterExit()).toEqual([]);
  });

  it("fails a corrupt zstd blob with zstd's own message", async () => {
    const tar = await buildTar(richLayer);
    const zstd = Buffer.from((await execa('zstd', ['-q', '-c'], { input: tar, encoding: 'buffer' })).stdout);
    zstd.fill(0x55, 20, 60);
    const unpack = unpackLayer(decompressLayer(Readable.from([zstd])), freshDir(), deps);
    await expect(unpack).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/zstd exited with 1: .+/) });
    expect(await zstdChildrenAfterExit()).toEqual([]);
  });

  it('unpacks the seeded busybox image layer with an executable /bin/busybox', async () => {
    const layout = seededOciLayout();
    const blob = (digest: string): string => join(layout, 'blobs', digest.replace(':', '/'));
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as ImageIndex;
    const descriptor = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'busybox');
    if (!descriptor) throw new Error(`no busybox tag in ${layout}`);
    const manifest = JSON.parse(readFileSync(blob(descriptor.digest), 'utf8')) as ImageManifest;
    const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8')) as { rootfs: { diff_ids: string[] } };
    const dir = freshDir();
    for (const [i, layer] of manifest.layers.entries()) {
      const result = await unpackLayer(decompressLayer(createReadStream(blob(layer.digest)), { mediaType: layer.mediaType }), dir, deps);
      expect(result.diffId).toBe(config.rootfs.diff_ids[i]);
    }
    const busybox = lstatSync(join(dir, 'bin/busybox'));
    expect(busybox.isFile()).toBe(true);
    expect(busybox.mode & 0o111).toBe(0o111);
    expect((await execa(join(dir, 'bin/busybox'), ['echo', 'unpacked'])).stdout).toBe('unpacked');
  });
});

/** zstd children of this test process, once those being killed have exited. */
async function zstdChildrenAfterExit(): Promise<string[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { stdout } = await execa('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { reject: false });
    const zstd = stdout.split('\n').filter((line) => line.includes('zstd'));
    if (zstd.length === 0) return [];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return ['zstd still running'];
}
