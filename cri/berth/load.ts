// berth.v1.Images/Load: docker load of the archive the client streams.
import type { Chunk__Output, LoadResponse } from '../../api/berth/berth-messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { ClientStreamHandler } from '../server/instrument.js';

export async function* chunkData(chunks: AsyncIterable<{ data: Buffer }>): AsyncIterable<Uint8Array> {
  for await (const chunk of chunks) yield chunk.data;
}

export function load(runtime: Runtime): ClientStreamHandler<Chunk__Output, LoadResponse> {
  return async (chunks) => {
    const records = await runtime.images.load(chunkData(chunks));
    return { images: records.map((record) => ({ id: record.id, repoTags: record.repoTags })) };
  };
}
