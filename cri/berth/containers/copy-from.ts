// berth.v1.Containers/CopyFrom: docker cp CONTAINER:PATH; the stat first, then the tar.
import type { CopyFromRequest__Output, CopyFromResponse } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { StreamHandler } from '../../server/instrument.js';
import { pathStat } from './path-stat.js';
import { sendArchive } from '../stream-archive.js';

export function copyFrom(runtime: Runtime): StreamHandler<CopyFromRequest__Output, CopyFromResponse> {
  return async (request, send, signal, drained) => {
    const { info, tar } = await runtime.files.copyFrom(request.container, request.path, request.followLink);
    if (!send({ stat: pathStat(info) })) await drained?.();
    await sendArchive(tar, (data) => ({ data }), send, signal, drained);
  };
}
