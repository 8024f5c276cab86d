// The snapshotter's bookkeeping without mounting anything: directories, records, mounts as data.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OverlaySnapshotter } from '../../../runtime/snapshots/snapshotter.js';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'berth-snapshotter-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Commits a stack of layers named l0, l1, ... each on the one before. */
async function commitStack(snapshotter: OverlaySnapshotter, count: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const { dir } = await snapshotter.prepareLayer(`extract-${i}`, names.at(-1));
    writeFileSync(join(dir, `file-${i}`), `layer ${i}`);
    await snapshotter.commit(`l${i}`, `extract-${i}`);
    names.push(`l${i}`);
  }
  return names;
}

describe('OverlaySnapshotter', () => {
  it('prepares a layer as an empty fs directory under a numeric id', async () => {
    const snapshotter = await OverlaySnapshotter.open(root);
    const { dir } = await snapshotter.prepareLayer('extract-a');
    expect(dir).toBe(join(root, 'snapshots/1/fs'));
    expect(readdirSync(dir)).toEqual([]);
    expect(snapshotter.stat('extract-a')).toMatchObject({ key: 'extract-a', kind: 'active' });
  });

  it('commits an active snapshot under its name and drops the work dir', async () => {
    const snapshotter = await OverlaySnapshotter.open(root);
    await commitStack(snapshotter, 1);
    expect(snapshotter.list()).toEqual([expect.objectContaining({ key: 'l0', kind: 'committed' })]);
    expect(existsSync(join(root, 'snapshots/1/work'))).toBe(false);
    expect(() => snapshotter.stat('extract-0')).toThrow(/does not exist/);
  });

  it('treats a commit under an existing name as done and removes the duplicate', async () => {
    const snapshotter = await OverlaySnapshotter.open(root);
    await commitStack(snapshotter, 1);
    const { dir } = await snapshotter.prepareLayer('extract-again');
    const result = await snapshotter.commit('l0', 'extract-again');
    expect(result).toMatchObject({ key: 'l0', kind: 'committed' });
    expect(existsSync(dir)).toBe(false);
    expect(snapshotter.list().map((s) => s.key)).toEqual(['l0']);
  });

  it('returns overlay mounts with the parent chain top to bottom', async () => {
    const snapshotter = await OverlaySnapshotter.open(root);
    await commitStack(snapshotter, 3);
    const mounts = await snapshotter.prepare('container-1', 'l2');
    expect(mounts).toEqual([
      {
        type: 'overlay',
        source: 'overlay',
        options: [
          'index=off',
          `workdir=${join(root, 'snapshots/4/work')}`,
          `upperdir=${join(root, 'snapshots/4/fs')}`,
          `lowerdir=${[3, 2, 1].map((id) => join(root, `snapshots/${id}/fs`)).join(':')}`,
        ],
      },
    ]);
    expect(await snapshotter.mounts('container-1')).toEqual(mounts);
  });

  it('returns a read-write bind mount for an active snapshot without parent', async () => {
    const snapshotter = await OverlaySnapshotter.open(root);
    expect(await snapshotter.prepare('scratch')).toEqual([{ type: 'bind', source: join(root, 'snapshots/1/fs'), options: ['rw', 'rbind'] }]);
  });

  it('returns a read-only bind for a view of one layer and a lower-only overlay for more', async () => {
    const snapshotter = await OverlaySnapshotter.open(root);
    await commitStack(snapshotter, 2);
    expect(await snapshotter.view('view-1', 'l0')).toEqual([{ type: 'bind', source: join(root, 'snapshots/1/fs'), options: ['ro', 'rbind'] }]);
    expect(await snapshotter.view('view-2', 'l1')).toEqual([
      {
        type: 'overlay',
        source: 'overlay',
        options: ['index=off', `lowerdir=${join(root, 'snapshots/2/fs')}:${join(root, 'snapshots/1/fs')}`],
      },
    ]);
  });

  it('refuses to prepare a key twice, on a missing parent and on an uncommitted parent', async () => {
    const snapshotter = await OverlaySnapshotter.open(root);
    await snapshotter.prepare('c1');
    await expect(snapshotter.prepare('c1')).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(snapshotter.prepare('c2', 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(snapshotter.prepare('c3', 'c1')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });

  it('refuses to remove a parent while a child exists, then removes both in order', async () => {
    const snapshotter = await OverlaySnapshotter.open(root);
    await commitStack(snapshotter, 1);
    await snapshotter.prepare('container', 'l0');
    await expect(snapshotter.remove('l0')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await snapshotter.remove('container');
    await snapshotter.remove('l0');
    expect(snapshotter.list()).toEqual([]);
    expect(readdirSync(join(root, 'snapshots'))).toEqual([]);
    await expect(snapshotter.remove('l0')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('prepares containers at once, each in its own directory, and gives a key taken meanwhile to one of them only', async () => {
    const snapshotter = await OverlaySnapshotter.open(root);
    await commitStack(snapshotter, 1);
    const keys = Array.from({ length: 8 }, (_, i) => `container-${i}`);
    const results = await Promise.allSettled([...keys, 'container-0'].map((key) => snapshotter.prepare(key, 'l0')));
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([expect.stringMatching(/container-0.*already exists/)]);
    const uppers = keys.map((key) => snapshotter.layers(key).upper);
    expect(new Set(uppers).size).toBe(keys.length);
    for (const upper of uppers) expect(readdirSync(upper)).toEqual([]);
  });

  it('refuses to remove a parent while a child is still being prepared', async () => {
    const snapshotter = await OverlaySnapshotter.open(root);
    await commitStack(snapshotter, 1);
    const preparing = snapshotter.prepare('container-1', 'l0');
    await expect(snapshotter.remove('l0')).rejects.toThrow(/still use it as parent \(container-1\)/);
    await preparing;
    await snapshotter.remove('container-1');
    await snapshotter.remove('l0');
    expect(snapshotter.list()).toEqual([]);
    expect(readdirSync(join(root, 'snapshots'))).toEqual([]);
  });

  it('reloads its records when opened again', async () => {
    const first = await OverlaySnapshotter.open(root);
    await commitStack(first, 2);
    await first.prepare('container', 'l1');
    const second = await OverlaySnapshotter.open(root);
    expect(second.list().map((s) => [s.key, s.kind, s.parent])).toEqual([
      ['l0', 'committed', undefined],
      ['l1', 'committed', 'l0'],
      ['container', 'active', 'l1'],
    ]);
    expect(await second.mounts('container')).toEqual(await first.mounts('container'));
    expect((await second.prepareLayer('next')).dir).toBe(join(root, 'snapshots/4/fs'));
  });

  it('removes an interrupted prepare and quarantines a corrupt record on open', async () => {
    const first = await OverlaySnapshotter.open(root);
    await commitStack(first, 1);
    mkdirSync(join(root, 'snapshots/7/fs'), { recursive: true });
    mkdirSync(join(root, 'snapshots/8/fs'), { recursive: true });
    writeFileSync(join(root, 'snapshots/8/snapshot.json'), '{"version": 1, "id": ');
    const second = await OverlaySnapshotter.open(root);
    expect(second.list().map((s) => s.key)).toEqual(['l0']);
    expect(readdirSync(join(root, 'snapshots'))).toEqual(['1']);
    expect(readdirSync(join(root, 'quarantine'))).toEqual([expect.stringMatching(/^8-/)]);
  });

  it('reports the bytes and inodes of a snapshot tree', async () => {
    const snapshotter = await OverlaySnapshotter.open(root);
    const { dir } = await snapshotter.prepareLayer('work');
    writeFileSync(join(dir, 'a'), Buffer.alloc(64 * 1024, 1));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub/b'), 'b');
    const usage = await snapshotter.usage('work');
    expect(usage.inodes).toBe(4);
    expect(usage.bytes).toBeGreaterThanOrEqual(64 * 1024);
  });

  it('refuses a parent chain whose overlay options would not fit in one page', async () => {
    const snapshotter = await OverlaySnapshotter.open(root, { maxMountOptionBytes: 200 });
    await commitStack(snapshotter, 6);
    await expect(snapshotter.prepare('container', 'l5')).rejects.toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      message: expect.stringMatching(/too many layers/),
    });
    expect(() => snapshotter.stat('container')).toThrow(/does not exist/);
  });
});
