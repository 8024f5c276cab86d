// SPDY/3 compresses every header block of a connection with one zlib stream per direction,
// primed with the SPDY dictionary, each block ended by a sync flush. The contexts live as long as
// the connection, and blocks must pass through them in frame order.
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { spdyHeaderDictionary } from './dictionary.js';

function flushThrough(stream: Deflate | Inflate, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
    };
    const onError = (error: Error): void => {
      stream.off('data', onData);
      reject(error);
    };
    stream.on('data', onData);
    stream.once('error', onError);
    stream.write(input);
    stream.flush(constants.Z_SYNC_FLUSH, () => {
      stream.off('data', onData);
      stream.off('error', onError);
      resolve(Buffer.concat(chunks));
    });
  });
}

export class HeaderCodec {
  private readonly deflate = createDeflate({ dictionary: spdyHeaderDictionary });
  private readonly inflate = createInflate({ dictionary: spdyHeaderDictionary, maxOutputLength: 1024 * 1024 });
  private compressing: Promise<unknown> = Promise.resolve();
  private decompressing: Promise<unknown> = Promise.resolve();

  compress(block: Buffer): Promise<Buffer> {
    const next = this.compressing.then(() => flushThrough(this.deflate, block));
    this.compressing = next.catch(() => undefined);
    return next;
  }

  decompress(block: Buffer): Promise<Buffer> {
    const next = this.decompressing.then(() => flushThrough(this.inflate, block));
    this.decompressing = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.deflate.destroy();
    this.inflate.destroy();
  }
}
