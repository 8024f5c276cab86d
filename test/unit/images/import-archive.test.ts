// Hostile archives: each case is a tar built in memory that must be refused.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack, type Header } from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentStore } from '../../../runtime/images/content-store.js';
import { ImageStore } from '../../../runtime/images/image-store.js';
import { importArchive, importOciLayout } from '../../../runtime/images/import.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-import-unit-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface TarEntry {
  header: Partial<Header> & { name: string };
  body?: string;
}

async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: unknown) => void chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve) => archive.on('end', () => resolve()));
  for (const entry of entries) archive.entry(entry.header, entry.body ?? '');
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

const hexOf = (text: string): string => createHash('sha256').update(text).digest('hex');
const index = (digest: string, size: number): string => JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size }] });

async function importTar(entries: TarEntry[]): Promise<unknown> {
  const root = tempDir();
  const tarPath = join(root, 'image.tar');
  writeFileSync(tarPath, await tarOf(entries));
  return importArchive(tarPath, { content: new ContentStore(root), images: await ImageStore.open(root) });
}

describe('archive import refuses hostile archives', () => {
  it.each<[string, TarEntry[], RegExp]>([
    ['a parent-directory path', [{ header: { name: '../evil' }, body: 'x' }], /escapes the archive root/],
    ['a nested parent-directory path', [{ header: { name: 'blobs/../../evil' }, body: 'x' }], /escapes the archive root/],
    ['an absolute path', [{ header: { name: '/etc/evil' }, body: 'x' }], /escapes the archive root/],
    ['a symlink', [{ header: { name: 'index.json', type: 'symlink', linkname: '/etc/passwd' } }], /may hold only files/],
    ['a hard link', [{ header: { name: 'blobs/sha256/x', type: 'link', linkname: '../../etc/passwd' } }], /may hold only files/],
    ['a blob that does not match its name', [{ header: { name: `blobs/sha256/${hexOf('good')}` }, body: 'evil' }], /does not match/],
    ['an index naming a missing blob', [{ header: { name: 'index.json' }, body: index(`sha256:${hexOf('absent')}`, 6) }], /lacks blob/],
    ['an index digest that is a path', [{ header: { name: 'index.json' }, body: index('sha256:../../../etc/passwd', 6) }], /invalid .*digest/],
    ['no index', [{ header: { name: 'oci-layout' }, body: '{}' }], /holds no index.json/],
    ['a legacy docker save archive', [{ header: { name: 'manifest.json' }, body: '[]' }], /legacy "docker save"/],
  ])('refuses %s', async (_name, entries, expected) => {
    await expect(importTar(entries)).rejects.toThrow(expected);
  });

  it('refuses a layout directory whose blob is a symlink leaving the layout', async () => {
    const root = tempDir();
    const layout = join(root, 'layout');
    const outside = join(root, 'outside');
    const body = JSON.stringify({ schemaVersion: 2, config: {}, layers: [] });
    const hex = hexOf(body);
    mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
    writeFileSync(outside, body);
    symlinkSync(outside, join(layout, 'blobs/sha256', hex));
    writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(layout, 'index.json'), index(`sha256:${hex}`, body.length));
    await expect(importOciLayout(layout, { content: new ContentStore(root), images: await ImageStore.open(root) })).rejects.toThrow(/resolves outside the layout/);
  });
});
