// The content store: immutable blobs (manifests, configs, compressed layers) named by their
// sha256 digest, under <root>/content/blobs/sha256/<hex>. A blob becomes visible only by a rename
// after its bytes hashed to the expected digest, so a reader never sees a partial or corrupt blob.
//
// Ingest lifecycle: bytes stream into <root>/content/ingest/<hex>.partial while being hashed;
// on success the partial is renamed into blobs/; on a digest or size mismatch the partial is
// deleted and nothing is committed; on any other failure (a network drop) the partial stays, and
// the next ingest of that digest in this run asks the source to resume from the partial's size
// and rebuilds the hash state by re-reading the partial — except on a full disk (ENOSPC, EDQUOT),
// where the partial is deleted to give the space back and the ingest fails RESOURCE_EXHAUSTED.
// A daemon crash's partials are removed at the next start (half-pulled.ts). Ingesting a blob
// that exists is a no-op.
// Concurrent ingests of one digest in this process wait for the first.
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { BerthError, NotFoundError, errorMessage } from '../../common/errors.js';
import { syncDirectory } from '../../common/atomic-file.js';
import { digestHex, hashDigest, parseDigest, sha256Hasher, type Digest } from './digest.js';
import { asNoSpace, isNoSpace } from './no-space.js';

/** Bytes of a blob starting at `start` (0 when the source could not resume where asked). */
export interface BlobBody {
  start: number;
  body: AsyncIterable<Uint8Array>;
}

/** Opens the blob's bytes from `resumeFrom`; may answer from 0 if it cannot resume. */
export type BlobSource = (resumeFrom: number) => Promise<BlobBody>;

export interface BlobInfo {
  digest: Digest;
  size: number;
}

/** Blob bytes that did not hash to the digest they were fetched under (corrupt or tampered). */
export class DigestMismatchError extends BerthError {
  constructor(message: string) {
    super('INTERNAL', message);
  }
}

export interface ContentProvider {
  has(digest: Digest): Promise<boolean>;
  info(digest: Digest): Promise<BlobInfo>;
  readStream(digest: Digest): Promise<Readable>;
  readBytes(digest: Digest, maxSize?: number): Promise<Buffer>;
  readJson<T>(digest: Digest, maxSize?: number): Promise<T>;
}

export interface ContentIngester {
  ingest(expected: Digest, expectedSize: number | undefined, source: BlobSource, onBytes?: (done: number) => void): Promise<BlobInfo>;
  ingestBytes(bytes: Uint8Array, expected: Digest): Promise<BlobInfo>;
}

export interface ContentManager {
  list(): Promise<BlobInfo[]>;
  delete(digest: Digest): Promise<boolean>;
  usage(): Promise<{ bytes: number; blobs: number }>;
}

export type Content = ContentProvider & ContentIngester & ContentManager;

const defaultMaxJson = 16 * 1024 * 1024;

export class ContentStore implements Content {
  readonly blobsDir: string;
  readonly ingestDir: string;
  private readonly inFlight = new Map<Digest, Promise<BlobInfo>>();

  constructor(root: string) {
    this.blobsDir = join(root, 'content/blobs/sha256');
    this.ingestDir = join(root, 'content/ingest');
  }

  blobPath(digest: Digest): string {
    return join(this.blobsDir, digestHex(parseDigest(digest)));
  }

  partialPath(digest: Digest): string {
    return join(this.ingestDir, `${digestHex(parseDigest(digest))}.partial`);
  }

  async has(digest: Digest): Promise<boolean> {
    return (await statOrUndefined(this.blobPath(digest))) !== undefined;
  }

  async info(digest: Digest): Promise<BlobInfo> {
    const found = await statOrUndefined(this.blobPath(digest));
    if (!found) throw new NotFoundError(`blob ${digest} is not in the content store; pull or import the image again`);
    return { digest, size: found.size };
  }

  async readStream(digest: Digest): Promise<Readable> {
    await this.info(digest);
    return createReadStream(this.blobPath(digest));
  }

  async readBytes(digest: Digest, maxSize = defaultMaxJson): Promise<Buffer> {
    const { size } = await this.info(digest);
    if (size > maxSize) throw new BerthError('RESOURCE_EXHAUSTED', `blob ${digest} is ${size} bytes, more than the ${maxSize} allowed here`);
    return readFile(this.blobPath(digest));
  }

  async readJson<T>(digest: Digest, maxSize = defaultMaxJson): Promise<T> {
    const bytes = await this.readBytes(digest, maxSize);
    try {
      return JSON.parse(bytes.toString('utf8')) as T;
    } catch (error) {
      throw new BerthError('INTERNAL', `blob ${digest} is not valid JSON: ${errorMessage(error)}`, { cause: error });
    }
  }

  ingest(expected: Digest, expectedSize: number | undefined, source: BlobSource, onBytes?: (done: number) => void): Promise<BlobInfo> {
    try {
      parseDigest(expected);
    } catch (error) {
      return Promise.reject(error);
    }
    const running = this.inFlight.get(expected);
    if (running) return running;
    const work = this.ingestOnce(expected, expectedSize, source, onBytes)
      .catch(async (error: unknown) => {
        if (!isNoSpace(error)) throw error;
        await rm(this.partialPath(expected), { force: true });
        throw asNoSpace(error, `storing blob ${expected}`, this.ingestDir);
      })
      .finally(() => this.inFlight.delete(expected));
    this.inFlight.set(expected, work);
    return work;
  }

  ingestBytes(bytes: Uint8Array, expected: Digest): Promise<BlobInfo> {
    return this.ingest(expected, bytes.length, async () => ({ start: 0, body: once(bytes) }));
  }

  private async ingestOnce(expected: Digest, expectedSize: number | undefined, source: BlobSource, onBytes?: (done: number) => void): Promise<BlobInfo> {
    const existing = await statOrUndefined(this.blobPath(expected));
    if (existing) return { digest: expected, size: existing.size };
    await mkdir(this.ingestDir, { recursive: true });
    await mkdir(this.blobsDir, { recursive: true });
    const partial = this.partialPath(expected);

    let have = (await statOrUndefined(partial))?.size ?? 0;
    if (expectedSize !== undefined && have > expectedSize) {
      await truncate(partial, 0);
      have = 0;
    }
    const { start, body } = await source(have);
    if (start !== have) {
      if (start !== 0) throw new BerthError('INTERNAL', `blob ${expected}: source resumed at ${start}, asked for ${have}`);
      have = 0;
    }

    const hash = sha256Hasher();
    const file = await open(partial, have === 0 ? 'w' : 'r+');
    let size = have;
    try {
      if (have > 0) {
        // The hash state is not persisted; rebuild it from the bytes already on disk.
        for await (const chunk of createReadStream('', { fd: file, autoClose: false, start: 0, end: have - 1 })) {
          hash.update(chunk as Buffer);
        }
      }
      onBytes?.(size);
      for await (const chunk of body) {
        size += chunk.length;
        if (expectedSize !== undefined && size > expectedSize) {
          throw new DigestMismatchError(`blob ${expected}: received more than the expected ${expectedSize} bytes; refusing it`);
        }
        hash.update(chunk);
        let written = 0;
        while (written < chunk.length) {
          const { bytesWritten } = await file.write(chunk, written, chunk.length - written, size - chunk.length + written);
          written += bytesWritten;
        }
        onBytes?.(size);
      }
      await file.sync();
    } catch (error) {
      await file.close();
      if (error instanceof DigestMismatchError) await rm(partial, { force: true });
      throw error;
    }
    await file.close();

    const actual = hashDigest(hash);
    if (actual !== expected || (expectedSize !== undefined && size !== expectedSize)) {
      await rm(partial, { force: true });
      throw new DigestMismatchError(
        `blob ${expected}: content does not match (got ${actual}, ${size} bytes` +
          `${expectedSize === undefined ? '' : `, expected ${expectedSize} bytes`}); nothing was stored, the source is corrupt or tampered with`,
      );
    }
    await rename(partial, this.blobPath(expected));
    await syncDirectory(this.blobsDir);
    return { digest: expected, size };
  }

  async list(): Promise<BlobInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.blobsDir);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const blobs: BlobInfo[] = [];
    for (const name of names) {
      const digest = `sha256:${name}`;
      if (!/^sha256:[a-f0-9]{64}$/.test(digest)) continue;
      const found = await statOrUndefined(join(this.blobsDir, name));
      if (found) blobs.push({ digest: digest as Digest, size: found.size });
    }
    return blobs;
  }

  async delete(digest: Digest): Promise<boolean> {
    const path = this.blobPath(digest);
    const existed = (await statOrUndefined(path)) !== undefined;
    await rm(path, { force: true });
    await rm(this.partialPath(digest), { force: true });
    return existed;
  }

  /** Bytes and count of committed blobs, for ImageFsInfo. */
  async usage(): Promise<{ bytes: number; blobs: number }> {
    const blobs = await this.list();
    return { bytes: blobs.reduce((sum, blob) => sum + blob.size, 0), blobs: blobs.length };
  }
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

async function statOrUndefined(path: string): Promise<{ size: number } | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
