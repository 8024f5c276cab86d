// berth.v1.Images/Import: docker import; the first message carries the options, every message
// may carry bytes of the tarball.
import { InvalidArgumentError } from '../../common/errors.js';
import type { ImportRequest__Output, ImportResponse } from '../api/berth-messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { ClientStreamHandler } from '../server/instrument.js';
import { chunkData } from './load.js';

export function importTarball(runtime: Runtime): ClientStreamHandler<ImportRequest__Output, ImportResponse> {
  return async (requests) => {
    const iterator = requests[Symbol.asyncIterator]();
    const first = await iterator.next();
    const options = first.done ? undefined : first.value.options;
    if (!options) throw new InvalidArgumentError('Import: the first message must carry the options');
    async function* rest(): AsyncIterable<ImportRequest__Output> {
      if (!first.done) yield first.value;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    }
    const record = await runtime.images.importTarball(chunkData(rest()), {
      ...(options.reference && { reference: options.reference }),
      changes: options.changes,
      ...(options.message && { message: options.message }),
      source: options.source || '-',
    });
    return { id: record.id };
  };
}
