// CRI ListImages.
import type { ListImagesRequest__Output, ListImagesResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { toCriImage } from './to-cri.js';

export function listImages(runtime: Runtime): UnaryHandler<ListImagesRequest__Output, ListImagesResponse> {
  return async (request) => {
    const wanted = request.filter?.image?.image;
    const records = wanted ? [runtime.images.status(wanted)].filter((r) => r !== undefined) : runtime.images.list();
    return { images: records.map(toCriImage) };
  };
}
