// The entity store's contract on a temp dir (pure logic plus atomic files): lookup says absent
// as undefined, creates reserve their name and undo what was not committed, updates are
// copy-on-write and become the truth only once written, metadata stays as created.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CancelledError, NotFoundError } from '../../../common/errors.js';
import { silentLogger } from '../../../common/logger.js';
import { EntityStore, type CreateTransaction, type Entity } from '../../../runtime/state/entity-store.js';
import { gate } from '../gate.js';

interface ThingMetadata {
  name: string;
  color: string;
}
interface ThingStatus {
  state: 'new' | 'used';
  uses: number;
}
type Thing = Entity<ThingMetadata, ThingStatus>;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function open(options: { dir?: string; commits?: string[]; upgrade?: (thing: Thing) => Thing } = {}): Promise<{ store: EntityStore<ThingMetadata, ThingStatus>; dir: string }> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'berth-entities-'));
  if (!options.dir) dirs.push(dir);
  const store = await EntityStore.open<ThingMetadata, ThingStatus>({
    dir,
    kind: 'thing',
    idField: 'thingId',
    version: 1,
    logger: silentLogger(),
    upgrade: options.upgrade,
    onCommit: (before, after) => options.commits?.push(`${before?.state ?? '-'}>${after?.state ?? '-'}`),
  });
  return { store, dir };
}

const thing = (tx: CreateTransaction<Thing>, name: string): Thing => ({ version: 1, id: tx.id, name, color: 'red', state: 'new', uses: 0 });

describe('entity store', () => {
  it('says an unknown id is absent with undefined, and names bad input as an error', async () => {
    const { store } = await open();
    const made = await store.create({ name: 'a', answers: () => true }, (tx) => tx.commit(thing(tx, 'a')));
    expect(store.find(made.id.slice(0, 8))).toEqual(made);
    expect(store.find('f'.repeat(64))).toBeUndefined();
    expect(store.find('../etc')).toBeUndefined();
    expect(() => store.find('')).toThrow(/thing id must not be empty/);
    expect(() => store.get('f'.repeat(64))).toThrow(NotFoundError);
  });

  it('gives a create that arrives while the first is in flight the first one, made once', async () => {
    const { store } = await open();
    const slow = gate();
    let made = 0;
    const steps = async (tx: CreateTransaction<Thing>): Promise<Thing> => {
      made += 1;
      await slow.promise;
      return tx.commit(thing(tx, 'web'));
    };
    const first = store.create({ name: 'web', answers: () => true }, steps);
    const second = store.create({ name: 'web', answers: () => true }, steps);
    slow.resolve();
    const [a, b] = await Promise.all([first, second]);
    expect(b.id).toBe(a.id);
    expect(made).toBe(1);
    // A retry after the first returned gets it from the records.
    expect((await store.create({ name: 'web', answers: () => true }, steps)).id).toBe(a.id);
    expect(store.list()).toHaveLength(1);
  });

  it('undoes the steps of a create whose caller went away, last first, each under a signal of its own, and frees the name', async () => {
    const { store } = await open();
    const caller = new AbortController();
    const undone: string[] = [];
    const signals: AbortSignal[] = [];
    const inStep = gate();
    const created = store.create(
      { name: 'web', answers: () => true },
      async (tx) => {
        tx.onUndo(async (signal) => {
          signals.push(signal);
          undone.push('dir');
        });
        tx.onUndo(async () => undone.push('mount'));
        inStep.resolve();
        await new Promise((resolve) => tx.signal?.addEventListener('abort', resolve));
        tx.checkpoint();
        return tx.commit(thing(tx, 'web'));
      },
      { signal: caller.signal },
    );
    await inStep.promise;
    caller.abort(new CancelledError('the client went away'));
    await expect(created).rejects.toBeInstanceOf(CancelledError);
    expect(undone).toEqual(['mount', 'dir']);
    expect(signals[0]?.aborted).toBe(false);
    expect(store.list()).toEqual([]);
    const again = await store.create({ name: 'web', answers: () => true }, (tx) => tx.commit(thing(tx, 'web')));
    expect(store.list().map((t) => t.id)).toEqual([again.id]);
  });

  it('skips an undo marked whenClean once an undo after it failed', async () => {
    const { store } = await open();
    const undone: string[] = [];
    const failed = store.create({ name: 'web', answers: () => true }, async (tx) => {
      tx.onUndo(async () => undone.push('forget the intent'), { whenClean: true });
      tx.onUndo(async () => {
        throw new Error('busy');
      });
      throw new Error('the step failed');
    });
    await expect(failed).rejects.toThrow('the step failed');
    expect(undone).toEqual([]);
  });

  it('refuses a create that ends without committing, and undoes it', async () => {
    const { store } = await open();
    const undone: string[] = [];
    const created = store.create({ name: 'web', answers: () => true }, async (tx) => {
      tx.onUndo(async () => undone.push('dir'));
      return thing(tx, 'web');
    });
    await expect(created).rejects.toThrow(/ended without committing its record/);
    expect(undone).toEqual(['dir']);
  });

  it('changes memory only after the record is written, and keeps the old one when the write fails', async () => {
    const { store, dir } = await open();
    const made = await store.create({ name: 'a', answers: () => true }, (tx) => tx.commit(thing(tx, 'a')));
    // A directory where the record goes: the atomic rename fails, for root too.
    const path = join(dir, `${made.id}.json`);
    rmSync(path);
    mkdirSync(join(path, 'in-the-way'), { recursive: true });
    await expect(store.update(made.id, () => ({ state: 'used', uses: 1 }))).rejects.toThrow();
    expect(store.get(made.id)).toMatchObject({ state: 'new', uses: 0 });
    rmSync(path, { recursive: true });
    expect((await store.update(made.id, () => ({ state: 'used', uses: 1 })))?.state).toBe('used');
    // The entity handed out before is a copy the update did not touch.
    expect(made.state).toBe('new');
  });

  it('serializes updates of one id: each change sees the last committed one', async () => {
    const { store } = await open();
    const made = await store.create({ name: 'a', answers: () => true }, (tx) => tx.commit(thing(tx, 'a')));
    await Promise.all(Array.from({ length: 10 }, () => store.update(made.id, async (current) => ({ uses: current.uses + 1 }))));
    expect(store.get(made.id).uses).toBe(10);
  });

  it('persists status changes and tells each committed change once', async () => {
    const commits: string[] = [];
    const { store, dir } = await open({ commits });
    const made = await store.create({ name: 'a', answers: () => true }, (tx) => tx.commit(thing(tx, 'a')));
    await Promise.all([1, 2].map(() => store.update(made.id, (current) => (current.state === 'new' ? { state: 'used' } : undefined))));
    const reopened = (await open({ dir })).store;
    expect(reopened.get(made.id)).toMatchObject({ state: 'used', color: 'red', name: 'a' });
    await store.remove(made.id);
    await store.remove(made.id);
    expect(commits).toEqual(['->new', 'new>used', 'used>-']);
    expect(existsSync(join(dir, `${made.id}.json`))).toBe(false);
  });

  it('upgrades records written before a status field existed', async () => {
    const { store, dir } = await open();
    const made = await store.create({ name: 'a', answers: () => true }, (tx) => tx.commit(thing(tx, 'a')));
    const reopened = (await open({ dir, upgrade: (t) => ({ ...t, uses: t.uses + 100 }) })).store;
    expect(reopened.get(made.id).uses).toBe(100);
  });

  it('runs exclusive sections of one id one at a time, and of different ids side by side', async () => {
    const { store } = await open();
    const order: string[] = [];
    const first = gate();
    const a1 = store.exclusive('a', async () => {
      order.push('a1 start');
      await first.promise;
      order.push('a1 end');
    });
    const a2 = store.exclusive('a', async () => order.push('a2'));
    const b = store.exclusive('b', async () => order.push('b'));
    await b;
    first.resolve();
    await Promise.all([a1, a2]);
    expect(order).toEqual(['a1 start', 'b', 'a1 end', 'a2']);
  });
});
