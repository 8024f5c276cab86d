// Versioned JSON records, one file per object, written atomically (temp + fsync + rename + fsync
// dir) and all read back at start. A record that cannot be parsed is moved aside to
// `<dir>/quarantine/` and logged, so one corrupt file never stops berth from starting; the temp
// file of a write a crash cut short is removed.
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeTempFiles, writeJsonAtomic, writeVolatileJsonAtomic } from '../../common/atomic-file.js';
import type { Logger } from '../../common/logger.js';

export interface VersionedRecord {
  version: number;
  id: string;
}

const idPattern = /^[a-f0-9]{64}$/;

export class RecordStore<T extends VersionedRecord> {
  private readonly records = new Map<string, T>();

  private constructor(
    private readonly dir: string,
    private readonly kind: string,
    private readonly currentVersion: number,
    private readonly logger: Logger,
    private readonly durable: boolean,
    private readonly upgrade: (record: T) => T,
  ) {}

  /**
   * Opens the store and loads every record under `dir`. `durable: false` (default true) writes
   * without fsync, for records of things that all die with the boot (common/atomic-file.ts);
   * `upgrade` fills in what records written by an older berth of the same version lack (fields
   * added since, each with its default).
   */
  static async open<T extends VersionedRecord>(options: {
    dir: string;
    kind: string;
    version: number;
    logger: Logger;
    durable?: boolean;
    upgrade?: ((record: T) => T) | undefined;
  }): Promise<RecordStore<T>> {
    const store = new RecordStore<T>(options.dir, options.kind, options.version, options.logger, options.durable ?? true, options.upgrade ?? ((record) => record));
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    await removeTempFiles(this.dir);
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const path = join(this.dir, name);
      try {
        const record = JSON.parse(await readFile(path, 'utf8')) as T;
        if (record.version !== this.currentVersion || !idPattern.test(record.id) || `${record.id}.json` !== name) {
          throw new Error(`unexpected version ${record.version} or id ${String(record.id)}`);
        }
        this.records.set(record.id, this.upgrade(record));
      } catch (error) {
        await this.quarantine(name, error);
      }
    }
  }

  private async quarantine(name: string, error: unknown): Promise<void> {
    const dir = join(this.dir, 'quarantine');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await rename(join(this.dir, name), join(dir, `${name}.${Date.now()}`));
    this.logger.error({ kind: this.kind, file: name, err: error }, 'corrupt record quarantined');
  }

  get(id: string): T | undefined {
    return this.records.get(id);
  }

  list(): T[] {
    return [...this.records.values()];
  }

  /** Writes the record durably, then makes it visible. */
  async put(record: T): Promise<void> {
    if (!idPattern.test(record.id)) throw new Error(`${this.kind} record id ${record.id} is not a 64-hex id`);
    await (this.durable ? writeJsonAtomic : writeVolatileJsonAtomic)(join(this.dir, `${record.id}.json`), record);
    this.records.set(record.id, record);
  }

  async delete(id: string): Promise<void> {
    await rm(join(this.dir, `${id}.json`), { force: true });
    this.records.delete(id);
  }
}
