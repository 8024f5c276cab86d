import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { ContentStore } from '../../../runtime/images/content-store.js';
import { sha256Of } from '../../../runtime/images/digest.js';
import { removeHalfPulledContent, removeInterruptedUnpacks } from '../../../runtime/images/half-pulled.js';
import { ImageStore } from '../../../runtime/images/image-store.js';
import { OverlaySnapshotter } from '../../../runtime/snapshots/snapshotter.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-half-pulled-'));
  dirs.push(dir);
  return dir;
}

describe('what a pull cut short leaves, at the next start', () => {
  it('removes partial blobs and blobs no image references, and has unused layers collected', async () => {
    const root = tempDir();
    const content = new ContentStore(root);
    const bytes = new TextEncoder().encode('a layer nobody recorded');
    const orphan = await content.ingestBytes(bytes, sha256Of(bytes));
    mkdirSync(content.ingestDir, { recursive: true });
    writeFileSync(join(content.ingestDir, `${'d'.repeat(64)}.partial`), 'half a blob');
    const collected: number[] = [];
    await removeHalfPulledContent({
      content,
      store: await ImageStore.open(root),
      unpacker: { ensureUnpacked: async () => '', collect: async (inUse) => void collected.push(inUse.length) },
      logger: silentLogger(),
    });
    expect(await content.has(orphan.digest)).toBe(false);
    expect(existsSync(join(content.ingestDir, `${'d'.repeat(64)}.partial`))).toBe(false);
    expect(collected).toEqual([0]);
  });

  it("removes layer snapshots whose unpack was cut short, and no container's snapshot", async () => {
    const snapshots = await OverlaySnapshotter.open(join(tempDir(), 'snapshots'));
    await snapshots.prepareLayer('extract-0123456789abcdef');
    await snapshots.prepare('e'.repeat(64));
    await removeInterruptedUnpacks(snapshots, silentLogger());
    expect(snapshots.list().map((s) => s.key)).toEqual(['e'.repeat(64)]);
  });
});
