// CRI RemoveImage: removes the image with every tag (by id, tag or digest); a missing image is
// already removed.
import type { RemoveImageRequest__Output, RemoveImageResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function removeImage(runtime: Runtime): UnaryHandler<RemoveImageRequest__Output, RemoveImageResponse> {
  return async (request) => {
    await runtime.images.remove(request.image?.image ?? '');
    return {};
  };
}
