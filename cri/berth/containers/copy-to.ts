// berth.v1.Containers/CopyTo: docker cp ... CONTAINER:DIR; the first message carries the options,
// every message may carry bytes of the tar.
import type { CopyToRequest__Output, CopyToResponse } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { ClientStreamHandler } from '../../server/instrument.js';
import { optionsFirst } from '../options-first.js';

export function copyTo(runtime: Runtime): ClientStreamHandler<CopyToRequest__Output, CopyToResponse> {
  return async (requests) => {
    const { options, data } = await optionsFirst('CopyTo', requests, (message) => message.options);
    await runtime.files.copyTo(options.container, options.path, options.copyUidGid, data);
    return {};
  };
}
