// Turns a layer blob into its uncompressed tar stream. The compression is taken from the blob's
// magic bytes first (registries and old tools mislabel media types, so containerd sniffs too) and
// the media type only decides what a blob without a known magic is allowed to be.
//
// A layer is hostile input: a few KiB of gzip or zstd can expand to terabytes. Every byte that
// comes out is counted and the stream fails with RESOURCE_EXHAUSTED past `maxBytes`, so a
// decompression bomb costs bounded disk and time however it is built.
import { spawn } from 'node:child_process';
import { Duplex, Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { abortedError } from '../../common/abort.js';
import { BerthError, InvalidArgumentError, ResourceExhaustedError, UnimplementedError, errorMessage } from '../../common/errors.js';
import { mediaTypes } from './oci-types.js';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Makes a streaming zstd decoder; Node 20 has none built in, so the default runs `zstd -dc`. */
export type ZstdDecoderFactory = () => Duplex;

export interface DecompressOptions {
  /** The layer descriptor's media type; omitted means "trust the magic bytes". */
  mediaType?: string;
  /** Upper bound on decompressed bytes; past it the stream fails. */
  maxBytes?: number;
  /** What `maxBytes` is and why it refuses, for the message. */
  limitReason?: string;
  /** The layer in messages, e.g. "layer sha256:…". */
  name?: string;
  zstd?: ZstdDecoderFactory;
  /**
   * The unpack's caller: an abort destroys the decoder (killing zstd) and the blob stream at
   * once, even while the decoder waits for input, and the stream fails Cancelled or
   * DeadlineExceeded.
   */
  signal?: AbortSignal | undefined;
}

/** 32 GiB: larger than any real image layer, small enough that a bomb cannot fill a node. */
export const defaultMaxDecompressedBytes = 32 * 1024 ** 3;

const gzipMagic = [0x1f, 0x8b];
const zstdMagic = [0x28, 0xb5, 0x2f, 0xfd];
const magicLength = 4;

const compressionByMediaType: ReadonlyMap<string, Compression> = new Map([
  [mediaTypes.ociLayer, 'none'],
  ['application/vnd.docker.image.rootfs.diff.tar', 'none'],
  [mediaTypes.ociLayerGzip, 'gzip'],
  [mediaTypes.dockerLayerGzip, 'gzip'],
  [mediaTypes.dockerForeignLayerGzip, 'gzip'],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'gzip'],
  [mediaTypes.ociLayerZstd, 'zstd'],
]);

function startsWith(head: Uint8Array, magic: number[]): boolean {
  return head.length >= magic.length && magic.every((byte, i) => head[i] === byte);
}

/** The compression of a blob from its first bytes and (optionally) its media type. */
export function detectCompression(head: Uint8Array, mediaType?: string): Compression {
  let declared: Compression | undefined;
  if (mediaType !== undefined) {
    declared = compressionByMediaType.get(mediaType);
    if (declared === undefined) {
      throw new UnimplementedError(`layer media type ${JSON.stringify(mediaType)} is not supported: berth unpacks tar, tar+gzip and tar+zstd layers`);
    }
  }
  if (startsWith(head, gzipMagic)) return 'gzip';
  if (startsWith(head, zstdMagic)) return 'zstd';
  if (declared !== undefined && declared !== 'none') {
    throw new InvalidArgumentError(`layer is declared ${mediaType ?? ''} but does not start with ${declared} magic bytes: the blob is corrupt or mislabelled`);
  }
  return 'none';
}

/** The uncompressed tar stream of `blob`; fails past `maxBytes` of output. */
export function decompressLayer(blob: Readable, options: DecompressOptions = {}): Readable {
  return Readable.from(decompressedChunks(blob, options), { objectMode: false });
}

async function* decompressedChunks(blob: Readable, options: DecompressOptions): AsyncGenerator<Buffer> {
  const maxBytes = options.maxBytes ?? defaultMaxDecompressedBytes;
  const source = blob[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head = await readHead(source, magicLength);
  let compression: Compression;
  try {
    compression = detectCompression(head.bytes, options.mediaType);
  } catch (error) {
    blob.destroy();
    throw error;
  }

  const body = Readable.from(prefixed(head.bytes, head.done ? undefined : source), { objectMode: false });
  const decoder = compression === 'gzip' ? createGunzip() : compression === 'zstd' ? (options.zstd ?? spawnZstdDecoder)() : undefined;
  const output: Readable = decoder ? pipeline(body, decoder, () => undefined) : body;
  const { signal } = options;
  const abort = (): void => {
    if (!signal) return;
    output.destroy(abortedError(signal, `decompressing ${options.name ?? 'layer'}`));
    blob.destroy();
  };
  if (signal?.aborted) abort();
  signal?.addEventListener('abort', abort, { once: true });

  let total = 0;
  try {
    for await (const chunk of output as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        throw new ResourceExhaustedError(
          `${options.name ?? 'layer'} decompresses to more than ${maxBytes} bytes ` + `(${options.limitReason ?? 'the decompression limit: a possible decompression bomb'}); refusing it`,
        );
      }
      yield chunk;
    }
  } catch (error) {
    if (error instanceof BerthError || !decoder) throw error;
    throw new InvalidArgumentError(`cannot decompress ${compression} layer: ${errorMessage(error)}`, { cause: error });
  } finally {
    signal?.removeEventListener('abort', abort);
    output.destroy();
    body.destroy();
    blob.destroy();
  }
}

async function readHead(source: AsyncIterator<Buffer>, length: number): Promise<{ bytes: Buffer; done: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < length) {
    const next = await source.next();
    if (next.done) return { bytes: Buffer.concat(chunks), done: true };
    chunks.push(next.value);
    size += next.value.length;
  }
  return { bytes: Buffer.concat(chunks), done: false };
}

async function* prefixed(head: Buffer, rest: AsyncIterator<Buffer> | undefined): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head;
  if (!rest) return;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

/**
 * The zstd adapter: a Duplex over `zstd -dc`. Compressed bytes go to its stdin, the tar comes
 * out of its stdout; a non-zero exit becomes a stream error carrying zstd's own message, and
 * destroying the stream kills the process so an aborted unpack leaves nothing running.
 */
export function spawnZstdDecoder(binary = 'zstd'): Duplex {
  const child = spawn(binary, ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    if (stderr.length < 4096) stderr += text;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  exited.catch(() => undefined); // observed by output(); this only marks it handled
  // zstd stops reading when the input is corrupt: the EPIPE that follows says less than its exit
  // status and stderr, which the readable side reports.
  child.stdin.on('error', () => undefined);

  async function* output(): AsyncGenerator<Buffer> {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) yield chunk;
    const code = await exited.catch((error: unknown) => {
      throw new UnimplementedError(`cannot run ${binary} to decompress a zstd layer: ${errorMessage(error)}`, {
        cause: error,
      });
    });
    if (code !== 0) throw new Error(`${binary} exited with ${String(code)}: ${stderr.trim() || 'no message'}`);
  }

  const duplex = Duplex.from({ writable: child.stdin, readable: Readable.from(output(), { objectMode: false }) });
  duplex.once('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return duplex;
}
