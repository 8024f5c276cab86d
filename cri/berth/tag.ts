// berth.v1.Images/Tag: docker tag SOURCE TARGET.
import type { TagRequest__Output, TagResponse } from '../../api/berth/berth-messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function tag(runtime: Runtime): UnaryHandler<TagRequest__Output, TagResponse> {
  return async (request) => ({ id: (await runtime.images.tag(request.source, request.target)).id });
}
