// The state core both managers stand on (containerd's container/sandbox stores with their
// status UpdateSync, CRI-O's resourcestore). Vocabulary and contract:
//
// - An entity is one sandbox or container: `metadata` fields fixed when it is created (the
//   config as created, where its files live) and `status` fields that change over its life
//   (state, exit, the resources and labels in force). The record on disk is both, flat,
//   versioned, written atomically (record-store.ts).
// - Lookup says "absent" as a value: `find` returns undefined for an unknown id (bad input,
//   an empty or ambiguous prefix, is still an error); `get` is for callers that need it there.
// - `create` reserves the name before any work (name-reservations.ts): a duplicate that arrives
//   while the first is in flight waits for its result; one that arrives after gets the entity
//   already made. The create's steps register their undo on the transaction; a create that
//   fails or is cancelled before `commit` has them undone (rollback.ts). `commit` is the last
//   point an abort counts: the record is written, then the entity exists.
// - `exclusive(id, ...)` runs lifecycle operations on one entity one at a time (start, stop,
//   remove, updates that act on the world first).
// - `update(id, change)` is copy-on-write: `change` sees the entity as committed and returns
//   the status fields to change (or nothing); the new record is written, and only then does it
//   replace the old one in memory. Updates of one id are serialized apart from `exclusive`, so
//   an exit noticed by a watcher is recorded while a long stop holds the entity, and two looks
//   recording the same exit record (and tell) it once.
// - `onCommit(before, after)` hears every committed change: before undefined for a create,
//   after undefined for a removal.
import { throwIfAborted, type Abortable } from '../../common/abort.js';
import { NotFoundError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { findId, newId } from './ids.js';
import { NameReservations } from './name-reservations.js';
import { RecordStore, type VersionedRecord } from './record-store.js';
import { Rollback, type Undo, type UndoOptions } from './rollback.js';

/** One stored entity: the version and id, its fixed metadata and its changing status, flat. */
export type Entity<M, S> = VersionedRecord & { readonly name: string } & Readonly<M> & S;

export interface EntityStoreOptions<E> {
  /** Where the records live. */
  dir: string;
  /** Names the entities in messages ("pod sandbox", "container"). */
  kind: string;
  /** The log field its ids go by ("podSandboxId", "containerId"). */
  idField: string;
  version: number;
  logger: Logger;
  /** Fills status fields that records written by an older berth lack. */
  upgrade?: ((record: E) => E) | undefined;
  /** Hears every committed change. */
  onCommit?: ((before: E | undefined, after: E | undefined) => void) | undefined;
}

/** What a create's steps get: its id and signal, their undo stack, and the commit that ends it. */
export interface CreateTransaction<E> {
  readonly id: string;
  readonly signal: AbortSignal | undefined;
  /** Throws the typed error when the caller's signal has aborted: call it between steps. */
  checkpoint(): void;
  /** Registers the undo of a step just done. */
  onUndo(undo: Undo, options?: UndoOptions): void;
  /** The last point an abort counts: writes the record, then the entity exists. */
  commit(record: E): Promise<E>;
}

export interface CreateRequest<E> {
  name: string;
  /** Whether an existing entity of the same name is this create's (a retry gets it back). */
  answers: (existing: E) => boolean;
}

export type StatusChange<S> = Partial<S> | undefined;

/** Runs `operation` after every earlier one queued under `key` has settled. */
async function inTurn<T>(queues: Map<string, Promise<unknown>>, key: string, operation: () => Promise<T>): Promise<T> {
  const next = (queues.get(key) ?? Promise.resolve()).catch(() => undefined).then(operation);
  queues.set(key, next);
  try {
    return await next;
  } finally {
    if (queues.get(key) === next) queues.delete(key);
  }
}

export class EntityStore<M, S> {
  private readonly exclusives = new Map<string, Promise<unknown>>();
  private readonly writes = new Map<string, Promise<unknown>>();
  private readonly names: NameReservations;

  private constructor(
    private readonly records: RecordStore<Entity<M, S>>,
    private readonly options: EntityStoreOptions<Entity<M, S>>,
  ) {
    this.names = new NameReservations(options.kind);
  }

  /** Opens the store and loads every record under `dir`, upgraded. */
  static async open<M, S>(options: EntityStoreOptions<Entity<M, S>>): Promise<EntityStore<M, S>> {
    const records = await RecordStore.open<Entity<M, S>>({ dir: options.dir, kind: options.kind, version: options.version, logger: options.logger, upgrade: options.upgrade });
    return new EntityStore(records, options);
  }

  /** The entity `idOrPrefix` names, undefined when none; an empty or ambiguous prefix is an error. */
  find(idOrPrefix: string): Entity<M, S> | undefined {
    const id = findId(
      this.options.kind,
      idOrPrefix,
      this.records.list().map((r) => r.id),
    );
    return id === undefined ? undefined : this.records.get(id);
  }

  /** The entity `idOrPrefix` names; NotFound when none. */
  get(idOrPrefix: string): Entity<M, S> {
    const found = this.find(idOrPrefix);
    if (!found) throw new NotFoundError(`${this.options.kind} ${idOrPrefix} not found`);
    return found;
  }

  list(): Entity<M, S>[] {
    return this.records.list();
  }

  /** Runs `operation` on entity `id` once every earlier exclusive operation on it has ended. */
  exclusive<T>(id: string, operation: () => Promise<T>): Promise<T> {
    return inTurn(this.exclusives, id, operation);
  }

  /**
   * Applies `change` to a copy of the committed entity, writes it, then commits it in memory.
   * Resolves to the entity as it is afterwards; undefined when it is not (or no longer) there.
   */
  update(id: string, change: (current: Entity<M, S>) => StatusChange<S> | Promise<StatusChange<S>>): Promise<Entity<M, S> | undefined> {
    return inTurn(this.writes, id, async () => {
      const current = this.records.get(id);
      if (!current) return undefined;
      const patch = await change(current);
      if (!patch) return current;
      const next: Entity<M, S> = { ...current, ...patch };
      await this.records.put(next);
      this.options.onCommit?.(current, next);
      return next;
    });
  }

  /** Forgets the entity durably; forgetting one that is not there succeeds. */
  remove(id: string): Promise<void> {
    return inTurn(this.writes, id, async () => {
      const current = this.records.get(id);
      if (!current) return;
      await this.records.delete(id);
      this.options.onCommit?.(current, undefined);
    });
  }

  /**
   * Creates an entity through `steps`, the name reserved first; gives a duplicate the entity
   * its first create made. Steps not committed are undone, whatever stopped them.
   */
  async create(request: CreateRequest<Entity<M, S>>, steps: (tx: CreateTransaction<Entity<M, S>>) => Promise<Entity<M, S>>, options: Abortable = {}): Promise<Entity<M, S>> {
    const existing = this.records.list().find((r) => r.name === request.name && request.answers(r));
    if (existing) return existing;
    const id = newId();
    return this.names.hold(request.name, id, () => this.exclusive(id, () => this.transact(id, request.name, steps, options.signal)), options);
  }

  private async transact(id: string, name: string, steps: (tx: CreateTransaction<Entity<M, S>>) => Promise<Entity<M, S>>, signal: AbortSignal | undefined): Promise<Entity<M, S>> {
    const { kind, idField, logger } = this.options;
    const rollback = new Rollback();
    let committed = false;
    const checkpoint = (): void => throwIfAborted(signal, `creating ${kind} ${name} (${id})`);
    const tx: CreateTransaction<Entity<M, S>> = {
      id,
      signal,
      checkpoint,
      onUndo: (undo, undoOptions) => rollback.push(undo, undoOptions),
      commit: async (record) => {
        if (record.id !== id || record.name !== name) throw new Error(`${kind} create ${id} committed a record of ${record.id} (${record.name})`);
        checkpoint();
        await this.records.put(record);
        committed = true;
        this.options.onCommit?.(undefined, record);
        return record;
      },
    };
    try {
      checkpoint();
      const made = await steps(tx);
      if (!committed) throw new Error(`${kind} create ${id} ended without committing its record`);
      return made;
    } catch (error) {
      // Once committed the entity exists: what failed after is the caller's to report, not to undo.
      if (committed) throw error;
      const cleanupErrors = await rollback.undo();
      if (cleanupErrors.length > 0) logger.error({ [idField]: id, cleanupErrors }, `cleaning up a failed ${kind} create failed too`);
      throw error;
    }
  }
}
