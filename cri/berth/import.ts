// berth.v1.Images/Import: docker import; the first message carries the options, every message
// may carry bytes of the tarball.
import type { ImportRequest__Output, ImportResponse } from '../../api/berth/berth-messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { ClientStreamHandler } from '../server/instrument.js';
import { optionsFirst } from './options-first.js';

export function importTarball(runtime: Runtime): ClientStreamHandler<ImportRequest__Output, ImportResponse> {
  return async (requests) => {
    const { options, data } = await optionsFirst('Import', requests, (message) => message.options);
    const record = await runtime.images.importTarball(data, {
      ...(options.reference && { reference: options.reference }),
      changes: options.changes,
      ...(options.message && { message: options.message }),
      source: options.source || '-',
    });
    return { id: record.id };
  };
}
