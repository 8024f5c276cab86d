// Sends a tar stream as messages of at most 1 MiB each, as fast as the client reads them; the
// stream is destroyed when the call ends early.
import type { Readable } from 'node:stream';

const maxChunk = 1024 * 1024;

export async function sendArchive<T>(tar: Readable, message: (data: Buffer) => T, send: (message: T) => boolean, signal: AbortSignal, drained: (() => Promise<void>) | undefined): Promise<void> {
  try {
    for await (const bytes of tar) {
      for (let at = 0; at < (bytes as Buffer).length; at += maxChunk) {
        if (signal.aborted) return;
        if (!send(message((bytes as Buffer).subarray(at, at + maxChunk)))) await drained?.();
      }
    }
  } finally {
    tar.destroy();
  }
}
