// berth.v1.Images/History: docker history, from the image config's history.
import type { HistoryRequest__Output, HistoryResponse } from '../../api/berth/berth-messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function history(runtime: Runtime): UnaryHandler<HistoryRequest__Output, HistoryResponse> {
  return async (request) => ({
    entries: runtime.images.history(request.image).map((line) => ({ ...line, size: String(line.size) })),
  });
}
