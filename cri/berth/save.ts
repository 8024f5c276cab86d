// berth.v1.Images/Save: docker save, the archive's bytes in chunks of at most 1 MiB, sent as
// fast as the client reads them.
import type { Chunk, SaveRequest__Output } from '../../api/berth/berth-messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { StreamHandler } from '../server/instrument.js';
import { sendArchive } from './stream-archive.js';

export function save(runtime: Runtime): StreamHandler<SaveRequest__Output, Chunk> {
  return async (request, send, signal, drained) => {
    await sendArchive(await runtime.images.save(request.images), (data) => ({ data }), send, signal, drained);
  };
}
