// CRI ImageStatus. A missing image is an empty answer, not an error (the kubelet and critest
// rely on that to decide whether to pull).
import type { ImageStatusRequest__Output, ImageStatusResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { toCriImage } from './to-cri.js';

export function imageStatus(runtime: Runtime): UnaryHandler<ImageStatusRequest__Output, ImageStatusResponse> {
  return async (request) => {
    const record = runtime.images.status(request.image?.image ?? '');
    if (!record) return { image: null, info: {} };
    const info = request.verbose ? { info: JSON.stringify({ manifestDigest: record.manifestDigest, indexDigest: record.indexDigest, diffIds: record.diffIds, imageSpec: record.config }) } : {};
    return { image: toCriImage(record), info };
  };
}
