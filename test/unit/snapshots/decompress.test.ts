import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../../common/errors.js';
import { decompressLayer, detectCompression } from '../../../runtime/images/decompress.js';
import { mediaTypes } from '../../../runtime/images/oci-types.js';

const gzipHead = Buffer.from([0x1f, 0x8b, 0x08, 0x00]);
const zstdHead = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const tarHead = Buffer.from('etc/');

describe('detectCompression', () => {
  const cases: { name: string; head: Buffer; mediaType?: string; expected: string }[] = [
    { name: 'gzip magic without a media type', head: gzipHead, expected: 'gzip' },
    { name: 'zstd magic without a media type', head: zstdHead, expected: 'zstd' },
    { name: 'a plain tar without a media type', head: tarHead, expected: 'none' },
    { name: 'gzip magic under the OCI gzip type', head: gzipHead, mediaType: mediaTypes.ociLayerGzip, expected: 'gzip' },
    { name: 'gzip magic under the Docker gzip type', head: gzipHead, mediaType: mediaTypes.dockerLayerGzip, expected: 'gzip' },
    { name: 'zstd magic under the OCI zstd type', head: zstdHead, mediaType: mediaTypes.ociLayerZstd, expected: 'zstd' },
    { name: 'a plain tar under the OCI tar type', head: tarHead, mediaType: mediaTypes.ociLayer, expected: 'none' },
    { name: 'gzip magic mislabelled as plain tar', head: gzipHead, mediaType: mediaTypes.ociLayer, expected: 'gzip' },
    { name: 'an empty blob', head: Buffer.alloc(0), expected: 'none' },
  ];
  for (const c of cases) {
    it(`detects ${c.name}`, () => {
      expect(detectCompression(c.head, c.mediaType)).toBe(c.expected);
    });
  }

  it('refuses a blob declared gzip that does not start with gzip magic', () => {
    expect(() => detectCompression(tarHead, mediaTypes.ociLayerGzip)).toThrow(/does not start with gzip magic/);
  });

  it('refuses a media type it cannot unpack', () => {
    expect(() => detectCompression(tarHead, 'application/vnd.oci.image.layer.v1.tar+bzip2')).toThrow(/not supported/);
  });
});

function chunked(bytes: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

describe('decompressLayer', () => {
  const payload = Buffer.alloc(200_000, 'berth layer ');

  it('gunzips a gzip blob delivered in one-byte-at-first chunks', async () => {
    const blob = gzipSync(payload);
    expect((await buffer(decompressLayer(chunked(blob, 1)))).equals(payload)).toBe(true);
  });

  it('passes a plain tar through unchanged', async () => {
    const out = await buffer(decompressLayer(chunked(payload, 7000), { mediaType: mediaTypes.ociLayer }));
    expect(out.equals(payload)).toBe(true);
  });

  it('fails with RESOURCE_EXHAUSTED when a gzip blob expands past the limit', async () => {
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024));
    await expect(buffer(decompressLayer(Readable.from([bomb]), { maxBytes: 1024 * 1024 }))).rejects.toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
    });
  });

  it('fails with INVALID_ARGUMENT on a truncated gzip blob', async () => {
    const blob = gzipSync(payload);
    await expect(buffer(decompressLayer(Readable.from([blob.subarray(0, blob.length / 2)])))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('decompressLayer under a signal', () => {
  it('fails Cancelled at once when its caller goes away while the decoder waits for input', async () => {
    const whole = gzipSync(Buffer.alloc(64 * 1024, 7));
    // Half a blob, then silence: a registry or disk that stalls.
    const blob = new Readable({ read: () => undefined });
    blob.push(whole.subarray(0, whole.length / 2));
    const caller = new AbortController();
    const tar = decompressLayer(blob, { signal: caller.signal, name: 'layer sha256:abc' });
    const drained = buffer(tar);
    caller.abort(new CancelledError('the client cancelled PullImage'));
    await expect(drained).rejects.toBeInstanceOf(CancelledError);
    await expect(drained).rejects.toThrow(/decompressing layer sha256:abc: the client cancelled PullImage/);
    expect(blob.destroyed).toBe(true);
  });
});
