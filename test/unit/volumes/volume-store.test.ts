// The volume store against a temp root dir: records kept across a reopen, creates idempotent, a
// volume in use refused, a record that names another directory not trusted.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { VolumeStore } from '../../../runtime/volumes/volume-store.js';

let root = '';
const request = (name: string) => ({ name, driver: '', labels: {}, driverOptions: {}, anonymous: false });

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-volumes-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the volume store', () => {
  it('keeps volumes across a reopen, and answers an existing name unchanged', async () => {
    const store = await VolumeStore.open(root, silentLogger());
    const first = await store.create({ ...request('data'), labels: { a: '1' } });
    expect(await store.create(request('data'))).toEqual(first);
    await writeFile(join(store.mountpoint('data'), 'kept'), 'yes');
    const reopened = await VolumeStore.open(root, silentLogger());
    expect(reopened.list()).toEqual([first]);
    expect(await readFile(join(reopened.mountpoint('data'), 'kept'), 'utf8')).toBe('yes');
  });

  it('refuses to remove a volume in use, then removes it with its data', async () => {
    const store = await VolumeStore.open(root, silentLogger());
    await store.create(request('busy'));
    await expect(store.remove('busy', async () => ['c0ffee'])).rejects.toThrow(/remove busy: volume is in use - \[c0ffee\]/);
    await store.remove('busy', async () => []);
    expect(store.list()).toEqual([]);
    await expect(store.remove('busy', async () => [])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('finds the volume a mount of its data (or below) uses, not of its record', async () => {
    const store = await VolumeStore.open(root, silentLogger());
    await store.create(request('data'));
    expect(store.volumesOf(`${store.mountpoint('data')}/sub/`)).toEqual(['data']);
    expect(store.volumesOf(join(root, 'volumes/data'))).toEqual([]);
  });

  it('does not trust a record whose name is not its directory', async () => {
    const store = await VolumeStore.open(root, silentLogger());
    await store.create(request('honest'));
    const record = join(root, 'volumes/honest/volume.json');
    await writeFile(record, (await readFile(record, 'utf8')).replace('"honest"', '"../../etc"'));
    expect((await VolumeStore.open(root, silentLogger())).list()).toEqual([]);
  });
});
