import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTempFiles } from '../../../common/atomic-file.js';
import { silentLogger } from '../../../common/logger.js';
import { AttachmentCache } from '../../../cni/result-cache.js';
import { RecordStore } from '../../../runtime/state/record-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const id = 'f'.repeat(64);

/** A dir holding what a crash inside writeFileAtomic leaves: the temp file beside the target. */
function dirWithTemps(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-temps-'));
  dirs.push(dir);
  writeFileSync(join(dir, `.${id}.json.0123456789ab.tmp`), '{"half":');
  writeFileSync(join(dir, `.${'e'.repeat(64)}.json.ba9876543210.tmp`), '{');
  writeFileSync(join(dir, '.keep-me'), 'not a temp file');
  return dir;
}

describe('temp files of writes a crash cut short', () => {
  it('are removed all at once, or only those of one target, and nothing else', async () => {
    const dir = dirWithTemps();
    expect(await removeTempFiles(dir, `${id}.json`)).toBe(1);
    expect(readdirSync(dir).sort()).toEqual([`.${'e'.repeat(64)}.json.ba9876543210.tmp`, '.keep-me']);
    expect(await removeTempFiles(dir)).toBe(1);
    expect(readdirSync(dir)).toEqual(['.keep-me']);
    expect(await removeTempFiles(join(dir, 'missing'))).toBe(0);
  });

  it('go when a record store opens', async () => {
    const dir = dirWithTemps();
    await RecordStore.open({ dir, kind: 'sandbox', version: 1, logger: silentLogger() });
    expect(readdirSync(dir)).toEqual(['.keep-me']);
  });

  it("go with a sandbox's CNI attachment record", async () => {
    const dir = dirWithTemps();
    await new AttachmentCache(dir, silentLogger()).remove(id);
    expect(existsSync(join(dir, `.${id}.json.0123456789ab.tmp`))).toBe(false);
    expect(readdirSync(dir)).toHaveLength(2);
  });
});
