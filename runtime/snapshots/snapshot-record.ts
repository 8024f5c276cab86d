// The persisted record of one snapshot, `<root>/snapshots/<id>/snapshot.json`, written atomically.
// Its presence is what makes a snapshot exist: a directory without one is an interrupted prepare.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../common/atomic-file.js';
import { InvalidArgumentError } from '../../common/errors.js';

/** containerd's kinds: an active snapshot is writable, a view read-only, a committed one a layer. */
export type SnapshotKind = 'active' | 'view' | 'committed';

export interface SnapshotRecord {
  version: 1;
  /** The numeric directory name: short, so long lowerdir chains fit in one mount option page. */
  id: number;
  kind: SnapshotKind;
  /** An active/view key, or a committed snapshot's name (its chain ID for image layers). */
  key: string;
  /** The committed snapshot this one sits on. */
  parent?: string;
  createdAt: string;
}

export const recordFileName = 'snapshot.json';

const kinds: readonly SnapshotKind[] = ['active', 'view', 'committed'];

export function parseSnapshotRecord(text: string, where: string): SnapshotRecord {
  const value = JSON.parse(text) as Partial<SnapshotRecord> | null;
  const valid =
    value !== null &&
    typeof value === 'object' &&
    value.version === 1 &&
    Number.isInteger(value.id) &&
    typeof value.kind === 'string' &&
    kinds.includes(value.kind) &&
    typeof value.key === 'string' &&
    value.key !== '' &&
    (value.parent === undefined || typeof value.parent === 'string') &&
    typeof value.createdAt === 'string';
  if (!valid) throw new InvalidArgumentError(`snapshot record ${where} is not a version 1 snapshot record`);
  return value as SnapshotRecord;
}

export async function readSnapshotRecord(snapshotDir: string): Promise<SnapshotRecord> {
  const path = join(snapshotDir, recordFileName);
  return parseSnapshotRecord(await readFile(path, 'utf8'), path);
}

export async function writeSnapshotRecord(snapshotDir: string, record: SnapshotRecord): Promise<void> {
  await writeJsonAtomic(join(snapshotDir, recordFileName), record);
}
