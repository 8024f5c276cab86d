// Layers unpacked into the overlay snapshotter and mounted for real with the mount adapter: what
// a container sees is the merged tree, with whiteouts and opaque directories hiding lower entries.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MknodDeviceNodes } from '../../../runtime/linux/device-nodes.js';
import { LinuxMounter } from '../../../common/linux/mounts.js';
import { AttrToolsXattrs } from '../../../runtime/linux/xattr.js';
import { chainIds } from '../../../runtime/snapshots/chain-id.js';
import { OverlaySnapshotter } from '../../../runtime/snapshots/snapshotter.js';
import { unpackLayer } from '../../../runtime/snapshots/unpack-layer.js';
import { requireRoot } from '../../harness/root.js';
import { buildTar, type TarEntry } from './tar-fixtures.js';

requireRoot('integration');

const mounter = new LinuxMounter();
const deps = { xattrs: new AttrToolsXattrs(), devices: new MknodDeviceNodes() };
let work: string;
let snapshotter: OverlaySnapshotter;
let top: string;

const lower: TarEntry[] = [
  { name: 'a/keep', type: 'file', content: 'kept' },
  { name: 'a/gone', type: 'file', content: 'hidden' },
  { name: 'opq/old', type: 'file', content: 'old' },
  { name: 'opq/sub/deep', type: 'file', content: 'old' },
  { name: 'x', type: 'file', content: 'x' },
  { name: 'dir-to-hide/inner', type: 'file', content: 'inner' },
];
const upper: TarEntry[] = [
  { name: 'a/.wh.gone', type: 'file', content: '' },
  { name: 'opq/.wh..wh..opq', type: 'file', content: '' },
  { name: 'opq/new', type: 'file', content: 'new' },
  { name: '.wh.x', type: 'file', content: '' },
  { name: '.wh.dir-to-hide', type: 'file', content: '' },
];

/** Unpacks each layer into a prepared snapshot and commits it under its chain ID. */
async function unpackImage(layers: TarEntry[][]): Promise<string> {
  const tars = await Promise.all(layers.map((entries) => buildTar(entries)));
  const diffIds: string[] = [];
  let parent: string | undefined;
  for (const [i, tar] of tars.entries()) {
    const { dir } = await snapshotter.prepareLayer(`extract-${i}`, parent);
    diffIds.push((await unpackLayer(Readable.from([tar]), dir, deps)).diffId);
    const name = chainIds(diffIds).at(-1) as string;
    await snapshotter.commit(name, `extract-${i}`);
    parent = name;
  }
  return parent as string;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'berth-overlay-'));
  snapshotter = await OverlaySnapshotter.open(join(work, 'root'));
  top = await unpackImage([lower, upper]);
});

afterAll(async () => {
  for (const point of await mounter.mountsUnder(work)) await mounter.unmount(point, { detach: true });
  rmSync(work, { recursive: true, force: true });
});

/** Mounts `mounts` at a fresh directory, runs `check`, and always unmounts. */
async function withMounted<T>(key: string, mountsOf: () => Promise<{ type: string; source: string; options: string[] }[]>, check: (target: string) => T): Promise<T> {
  const target = join(work, `mnt-${key}`);
  mkdirSync(target);
  const [mount] = await mountsOf();
  if (!mount) throw new Error('no mount returned');
  if (mount.type === 'bind') await mounter.bind(mount.source, target, mount.options);
  else await mounter.mount(mount, target);
  try {
    return check(target);
  } finally {
    await mounter.unmount(target);
  }
}

describe('overlay snapshots mounted for real', () => {
  it('commits layers under their chain IDs, the top one parented on the bottom', () => {
    const [bottomInfo, topInfo] = snapshotter.list();
    expect(topInfo).toMatchObject({ key: top, kind: 'committed', parent: bottomInfo?.key });
  });

  it('hides whited-out files and directories and the old content of opaque directories', async () => {
    await withMounted(
      'view',
      () => snapshotter.view('view', top),
      (root) => {
        expect(readdirSync(join(root, 'a'))).toEqual(['keep']);
        expect(readdirSync(join(root, 'opq'))).toEqual(['new']);
        expect(existsSync(join(root, 'x'))).toBe(false);
        expect(existsSync(join(root, 'dir-to-hide'))).toBe(false);
        expect(readFileSync(join(root, 'a/keep'), 'utf8')).toBe('kept');
      },
    );
    await snapshotter.remove('view');
  });

  it("writes a container's changes to its own upper dir and leaves the layers unchanged", async () => {
    await withMounted(
      'container',
      () => snapshotter.prepare('container', top),
      (root) => {
        writeFileSync(join(root, 'a/keep'), 'changed');
        writeFileSync(join(root, 'created'), 'new file');
      },
    );
    const options = (await snapshotter.mounts('container'))[0]?.options ?? [];
    const upperDir = options.find((o) => o.startsWith('upperdir='))?.slice('upperdir='.length) ?? '';
    expect(readFileSync(join(upperDir, 'created'), 'utf8')).toBe('new file');
    const lowerDirs =
      options
        .find((o) => o.startsWith('lowerdir='))
        ?.slice('lowerdir='.length)
        .split(':') ?? [];
    expect(readFileSync(join(lowerDirs.at(-1) ?? '', 'a/keep'), 'utf8')).toBe('kept');
    const usage = await snapshotter.usage('container');
    expect(usage.inodes).toBeGreaterThanOrEqual(4); // fs, a, a/keep, created
    await snapshotter.remove('container');
  });

  it('refuses to remove a layer that a container still sits on', async () => {
    await snapshotter.prepare('holder', top);
    await expect(snapshotter.remove(top)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await snapshotter.remove('holder');
  });
});
