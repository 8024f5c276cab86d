// Writes a tar entry's body to a file. The body arrives in the decompressor's small chunks (16 KiB
// for gzip); one write(2) per chunk is one thread-pool round trip per chunk, so chunks are gathered
// into one writev(2) of up to `batchBytes`, which also bounds the memory held per file.
import type { FileHandle } from 'node:fs/promises';

export const defaultWriteBatchBytes = 1024 * 1024;

export async function writeBody(handle: FileHandle, body: AsyncIterable<Buffer>, batchBytes = defaultWriteBatchBytes): Promise<void> {
  let batch: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    batch.push(chunk);
    size += chunk.length;
    if (size >= batchBytes) {
      await writeAll(handle, batch);
      batch = [];
      size = 0;
    }
  }
  if (size > 0) await writeAll(handle, batch);
}

/** writev(2) may write less than asked; what is left is written again until nothing is. */
async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest);
    const left = after(rest, bytesWritten);
    if (bytesWritten === 0 && left.length > 0) throw new Error(`writev wrote nothing of ${byteLength(left)} bytes`);
    rest = left;
  }
}

/** The buffers with their first `bytes` bytes dropped (and empty ones with them). */
function after(buffers: Buffer[], bytes: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = bytes;
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
      continue;
    }
    out.push(skip > 0 ? buffer.subarray(skip) : buffer);
    skip = 0;
  }
  return out;
}

function byteLength(buffers: Buffer[]): number {
  return buffers.reduce((sum, buffer) => sum + buffer.length, 0);
}
