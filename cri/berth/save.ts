// berth.v1.Images/Save: docker save, the archive's bytes in chunks of at most 1 MiB, sent as
// fast as the client reads them.
import type { Chunk, SaveRequest__Output } from '../api/berth-messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { StreamHandler } from '../server/instrument.js';

const maxChunk = 1024 * 1024;

export function save(runtime: Runtime): StreamHandler<SaveRequest__Output, Chunk> {
  return async (request, send, signal, drained) => {
    const archive = await runtime.images.save(request.images);
    try {
      for await (const bytes of archive) {
        for (let at = 0; at < (bytes as Buffer).length; at += maxChunk) {
          if (signal.aborted) return;
          if (!send({ data: (bytes as Buffer).subarray(at, at + maxChunk) })) await drained?.();
        }
      }
    } finally {
      archive.destroy();
    }
  };
}
