// RootTree (a container's root as berth reads and writes it) against hostile trees built in a
// temp dir: symlinks that point out of the root, absolute or by `..`, at a file or at a parent
// directory. The host side is a second temp dir whose files must stay unread and untouched.
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { pack as tarPack } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unpackTree } from '../../../common/archive/unpack-tree.js';
import { RootTree } from '../../../runtime/linux/root-tree.js';

let root = '';
let host = '';
let tree: RootTree;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-root-tree-'));
  host = await mkdtemp(join(tmpdir(), 'berth-root-tree-host-'));
  await writeFile(join(host, 'secret'), 'host secret');
  await mkdir(join(root, 'etc'));
  await writeFile(join(root, 'etc/secret'), 'container secret');
  await symlink(join(host, 'secret'), join(root, 'abs-file'));
  await symlink(`../../../../../../../..${join(host, 'secret')}`, join(root, 'rel-file'));
  await symlink(host, join(root, 'abs-dir'));
  await symlink(`../../../../../../..${host}`, join(root, 'rel-dir'));
  tree = await RootTree.open(root, 'the test root');
});

afterEach(async () => {
  await tree.close();
  await rm(root, { recursive: true, force: true });
  await rm(host, { recursive: true, force: true });
});

async function tarOf(entries: { name: string; type?: 'file' | 'symlink' | 'directory'; linkname?: string; body?: string }[]): Promise<Readable> {
  const pack = tarPack();
  for (const entry of entries) pack.entry({ name: entry.name, type: entry.type ?? 'file', ...(entry.linkname ? { linkname: entry.linkname } : {}) }, entry.body ?? '');
  pack.finalize();
  return pack as unknown as Readable;
}

describe('RootTree resolves every path inside the root', () => {
  it.each([
    ['an absolute symlink to a host file', 'abs-file', ['tmp', expect.any(String), 'secret']],
    ['a relative symlink climbing out with ..', 'rel-file', ['tmp', expect.any(String), 'secret']],
    ['a path through a symlinked parent', 'abs-dir/secret', ['tmp', expect.any(String), 'secret']],
  ])('%s resolves below the root (%s)', async (_, path, components) => {
    const resolved = await tree.resolve(path, true);
    expect(resolved).toEqual(components);
    // Nothing is there inside the root: the host's file is never what it names.
    expect(await tree.lstat(resolved)).toBeUndefined();
  });

  it('stops .. at the root, as the container would', async () => {
    expect(await tree.resolve('../../etc/secret', true)).toEqual(['etc', 'secret']);
  });

  it('keeps a symlink at the end as it is unless told to follow it', async () => {
    expect(await tree.resolve('abs-file', false)).toEqual(['abs-file']);
    expect((await tree.lstat(['abs-file']))?.kind).toBe('symlink');
  });

  it.each([
    ['a symlink at the end', ['abs-file']],
    ['a symlink to a file by ..', ['rel-file']],
  ])('never opens %s', async (_, path) => {
    await expect(tree.openFile(path)).rejects.toThrow();
  });

  it.each([
    ['an absolute symlinked parent', ['abs-dir', 'secret']],
    ['a relative symlinked parent', ['rel-dir', 'secret']],
  ])('never reads through %s', async (_, path) => {
    await expect(tree.openFile(path)).rejects.toThrow(/not a directory/);
    await expect(tree.readdir(path.slice(0, 1))).rejects.toThrow(/not a directory/);
  });

  it('refuses a FIFO without opening it (an open would block)', async () => {
    await execa('mkfifo', [join(root, 'fifo')]);
    await expect(tree.openFile(['fifo'])).rejects.toThrow(/not a regular file/);
  });

  it('reads what the container has', async () => {
    const handle = await tree.openFile(['etc', 'secret']);
    expect((await handle.readFile()).toString()).toBe('container secret');
    await handle.close();
  });
});

describe('unpackTree into a RootTree refuses to write out of the root', () => {
  const into = async (entries: Parameters<typeof tarOf>[0]) => unpackTree(tree, await tarOf(entries), { into: [], owner: undefined });

  it.each([
    ['an entry named with ..', [{ name: '../escaped', body: 'x' }], /leaves the directory/],
    ['a file below a symlinked directory', [{ name: 'abs-dir/planted', body: 'x' }], /not a directory|symlink/],
    ['a file below a relative symlinked directory', [{ name: 'rel-dir/planted', body: 'x' }], /not a directory|symlink/],
    [
      'a symlink the archive makes, then a file below it',
      [
        { name: 'made', type: 'symlink' as const, linkname: host },
        { name: 'made/planted', body: 'x' },
      ],
      /not a directory|symlink/,
    ],
  ])('refuses %s', async (_, entries, error) => {
    await expect(into(entries)).rejects.toThrow(error);
    expect((await readdir(host)).sort()).toEqual(['secret']);
    expect(await readFile(join(host, 'secret'), 'utf8')).toBe('host secret');
  });

  it('replaces a symlink to a host file with the file, leaving the host file untouched', async () => {
    await into([{ name: 'abs-file', body: 'new content' }]);
    expect(await readFile(join(root, 'abs-file'), 'utf8')).toBe('new content');
    expect(await readFile(join(host, 'secret'), 'utf8')).toBe('host secret');
  });

  it('refuses to replace a directory with a file and the reverse', async () => {
    await expect(into([{ name: 'etc', body: 'x' }])).rejects.toThrow(/cannot overwrite directory/);
    await expect(into([{ name: 'etc/secret', type: 'directory' }])).rejects.toThrow(/cannot overwrite non-directory/);
  });
});
