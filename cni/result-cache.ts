// What was attached to each sandbox, kept so teardown can DEL with the same config and
// prevResult even after a restart or after the conf dir changed (libcni keeps the same cache
// under /var/lib/cni/results). The record is written before the first ADD, so a crash halfway
// through ADD still leaves enough to DEL, and updated with the result once ADD succeeds.
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeTempFiles, writeVolatileJsonAtomic } from '../common/atomic-file.js';
import { InvalidArgumentError, errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { CniResult, LoadedNetworkConfig, NetworkConfigList, PodNetworkRequest } from './types.js';

export const attachmentRecordVersion = 1;

export interface AttachmentRecord {
  version: typeof attachmentRecordVersion;
  request: PodNetworkRequest;
  network: LoadedNetworkConfig;
  loopback: NetworkConfigList;
  /** The chain's final ADD result; absent while ADD has not completed. */
  result?: CniResult;
}

export class AttachmentCache {
  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  private path(id: string): string {
    // The id becomes a file name: nothing that could leave the cache dir.
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id) || id.includes('..')) {
      throw new InvalidArgumentError(`sandbox id ${JSON.stringify(id)} is not a valid CNI container id`);
    }
    return join(this.dir, `${id}.json`);
  }

  async save(record: AttachmentRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeVolatileJsonAtomic(this.path(record.request.id), record);
  }

  /** The record of `id`; undefined when none, or when it is corrupt (moved aside, logged). */
  async load(id: string): Promise<AttachmentRecord | undefined> {
    const path = this.path(id);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const record = JSON.parse(text) as AttachmentRecord;
      if (record.version !== attachmentRecordVersion || !record.network?.list || !record.request) {
        throw new Error(`unexpected record version ${String(record.version)} or shape`);
      }
      return record;
    } catch (error) {
      const quarantined = `${path}.corrupt`;
      await rename(path, quarantined).catch(() => undefined);
      this.logger.warn({ podSandboxId: id, quarantined, error: errorMessage(error) }, 'corrupt CNI attachment record moved aside');
      return undefined;
    }
  }

  /** Removes the record and the temp file of a save a crash cut short. */
  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
    await removeTempFiles(this.dir, `${id}.json`);
  }
}
