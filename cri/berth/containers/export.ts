// berth.v1.Containers/Export: docker export, the flat tar in chunks.
import type { ArchiveChunk, ExportRequest__Output } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { StreamHandler } from '../../server/instrument.js';
import { sendArchive } from '../stream-archive.js';

export function exportContainer(runtime: Runtime): StreamHandler<ExportRequest__Output, ArchiveChunk> {
  return async (request, send, signal, drained) => {
    await sendArchive(await runtime.files.export(request.container), (data) => ({ data }), send, signal, drained);
  };
}
