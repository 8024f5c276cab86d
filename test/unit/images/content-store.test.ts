import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentStore, DigestMismatchError, type BlobSource } from '../../../runtime/images/content-store.js';
import type { Digest } from '../../../runtime/images/digest.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-content-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const sha = (bytes: Uint8Array): Digest => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const blob = Buffer.from('hello berth '.repeat(1000));

function sourceOf(bytes: Buffer, resumes: number[] = []): BlobSource {
  return async (from) => {
    resumes.push(from);
    return { start: from, body: [bytes.subarray(from)].values() as unknown as AsyncIterable<Uint8Array> };
  };
}

describe('content store', () => {
  it('commits a blob whose bytes match its digest and reads it back', async () => {
    const store = new ContentStore(tempDir());
    await store.ingest(sha(blob), blob.length, sourceOf(blob));
    expect(await store.has(sha(blob))).toBe(true);
    expect(await store.info(sha(blob))).toEqual({ digest: sha(blob), size: blob.length });
    expect(await store.readBytes(sha(blob))).toEqual(blob);
  });

  it('refuses bytes that do not match the digest and commits nothing', async () => {
    const root = tempDir();
    const store = new ContentStore(root);
    const wrong = Buffer.from(blob);
    wrong[5] = 0;
    await expect(store.ingest(sha(blob), blob.length, sourceOf(wrong))).rejects.toThrow(DigestMismatchError);
    expect(await store.has(sha(blob))).toBe(false);
    expect(readdirSync(join(root, 'content/ingest'))).toEqual([]);
  });

  it('refuses a blob longer than its descriptor says', async () => {
    const store = new ContentStore(tempDir());
    await expect(store.ingest(sha(blob), blob.length - 1, sourceOf(blob))).rejects.toThrow(/more than the expected/);
  });

  it('resumes from a partial file and still verifies the whole blob', async () => {
    const root = tempDir();
    const store = new ContentStore(root);
    mkdirSync(join(root, 'content/ingest'), { recursive: true });
    writeFileSync(store.partialPath(sha(blob)), blob.subarray(0, 5000));
    const resumes: number[] = [];
    await store.ingest(sha(blob), blob.length, sourceOf(blob, resumes));
    expect(resumes).toEqual([5000]);
    expect(readFileSync(store.blobPath(sha(blob)))).toEqual(blob);
  });

  it('starts over when the source cannot resume', async () => {
    const root = tempDir();
    const store = new ContentStore(root);
    mkdirSync(join(root, 'content/ingest'), { recursive: true });
    writeFileSync(store.partialPath(sha(blob)), Buffer.from('garbage that is not the blob'));
    await store.ingest(sha(blob), blob.length, async () => ({ start: 0, body: [blob].values() as unknown as AsyncIterable<Uint8Array> }));
    expect(readFileSync(store.blobPath(sha(blob)))).toEqual(blob);
  });

  it('keeps the partial when the source fails midway', async () => {
    const root = tempDir();
    const store = new ContentStore(root);
    async function* broken(): AsyncIterable<Uint8Array> {
      yield blob.subarray(0, 100);
      throw new Error('connection reset');
    }
    await expect(store.ingest(sha(blob), blob.length, async () => ({ start: 0, body: broken() }))).rejects.toThrow('connection reset');
    expect(readFileSync(store.partialPath(sha(blob)))).toEqual(blob.subarray(0, 100));
  });

  it('deletes the partial and fails RESOURCE_EXHAUSTED when the disk is full', async () => {
    const root = tempDir();
    const store = new ContentStore(root);
    async function* filling(): AsyncIterable<Uint8Array> {
      yield blob.subarray(0, 100);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    await expect(store.ingest(sha(blob), blob.length, async () => ({ start: 0, body: filling() }))).rejects.toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      message: expect.stringMatching(/^no space left on device storing blob sha256:[a-f0-9]{64} in .*content\/ingest/),
    });
    expect(readdirSync(join(root, 'content/ingest'))).toEqual([]);
  });

  it('lists, sizes and deletes blobs', async () => {
    const store = new ContentStore(tempDir());
    const other = Buffer.from('other');
    await store.ingestBytes(blob, sha(blob));
    await store.ingestBytes(other, sha(other));
    expect(await store.usage()).toEqual({ bytes: blob.length + other.length, blobs: 2 });
    expect(await store.delete(sha(other))).toBe(true);
    expect((await store.list()).map((b) => b.digest)).toEqual([sha(blob)]);
  });

  it.each([['../../etc/passwd'], ['sha256:../../x'], [`sha512:${'a'.repeat(128)}`], ['']])('refuses the digest %j before touching disk', async (bad) => {
    const store = new ContentStore(tempDir());
    expect(() => store.blobPath(bad as Digest)).toThrow(/invalid digest/);
    await expect(store.ingest(bad as Digest, 1, sourceOf(blob))).rejects.toThrow(/invalid digest/);
  });
});
