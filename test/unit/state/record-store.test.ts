import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { RecordStore } from '../../../runtime/state/record-store.js';
import { findId, newId } from '../../../runtime/state/ids.js';

interface Thing {
  version: 1;
  id: string;
  name: string;
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-records-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const open = (dir: string) => RecordStore.open<Thing>({ dir, kind: 'thing', version: 1, logger: silentLogger() });

describe('record store', () => {
  it('reads back what it wrote after a reopen', async () => {
    const dir = tempDir();
    const id = newId();
    await (await open(dir)).put({ version: 1, id, name: 'a' });
    expect((await open(dir)).get(id)).toEqual({ version: 1, id, name: 'a' });
  });

  it('leaves no temporary files behind', async () => {
    const dir = tempDir();
    const store = await open(dir);
    await store.put({ version: 1, id: newId(), name: 'a' });
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('quarantines a corrupt record instead of failing to start', async () => {
    const dir = tempDir();
    const good = newId();
    const bad = newId();
    await (await open(dir)).put({ version: 1, id: good, name: 'good' });
    writeFileSync(join(dir, `${bad}.json`), '{"version": 1, "id": "trunc');
    const store = await open(dir);
    expect(store.list().map((r) => r.id)).toEqual([good]);
    const quarantined = readdirSync(join(dir, 'quarantine'));
    expect(quarantined).toHaveLength(1);
    expect(readFileSync(join(dir, 'quarantine', quarantined[0] ?? ''), 'utf8')).toContain('trunc');
  });

  it('refuses an id that could name a path outside the store', async () => {
    const store = await open(tempDir());
    await expect(store.put({ version: 1, id: '../../etc/passwd', name: 'x' })).rejects.toThrow(/not a 64-hex id/);
  });

  it('deletes records durably', async () => {
    const dir = tempDir();
    const id = newId();
    const store = await open(dir);
    await store.put({ version: 1, id, name: 'a' });
    await store.delete(id);
    expect((await open(dir)).get(id)).toBeUndefined();
  });
});

describe('id lookup', () => {
  const ids = [`abc1${'0'.repeat(60)}`, `abd2${'0'.repeat(60)}`];

  it.each([
    ['a full id', ids[0] ?? '', ids[0]],
    ['a unique prefix', 'abc', ids[0]],
  ])('resolves %s', (_what, input, expected) => {
    expect(findId('container', input, ids)).toBe(expected);
  });

  it.each([
    ['an unknown id', 'ffff'],
    ['a non-hex id (no berth id looks like it)', '../x'],
  ])('says absent for %s, as undefined', (_what, input) => {
    expect(findId('container', input, ids)).toBeUndefined();
  });

  it.each([
    ['an ambiguous prefix', 'ab', /ambiguous/],
    ['an empty id', '', /must not be empty/],
  ])('rejects %s', (_what, input, message) => {
    expect(() => findId('container', input, ids)).toThrow(message);
  });
});
