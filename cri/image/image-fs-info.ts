import type { ImageFsInfoRequest__Output, ImageFsInfoResponse } from '../../api/cri/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';

export function imageFsInfoHandler(runtime: Runtime): UnaryHandler<ImageFsInfoRequest__Output, ImageFsInfoResponse> {
  return async () => {
    const usage = await runtime.imageFilesystem();
    const filesystem = {
      timestamp: String(BigInt(Date.now()) * 1_000_000n),
      fsId: { mountpoint: usage.mountpoint },
      usedBytes: { value: String(usage.usedBytes) },
      inodesUsed: { value: String(usage.inodesUsed) },
    };
    // Images and container writable layers live on the same filesystem under the root dir.
    return { imageFilesystems: [filesystem], containerFilesystems: [filesystem] };
  };
}
