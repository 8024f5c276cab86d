// Which function answers which CRI RPC. One file per RPC under cri/runtime/ and cri/image/;
// anything not listed answers Unimplemented (see server.ts).
import type { Runtime } from '../../runtime/runtime.js';
import { imageFsInfoHandler } from '../image/image-fs-info.js';
import { runtimeConfigHandler } from '../runtime/runtime-config.js';
import { statusHandler } from '../runtime/status.js';
import { versionHandler } from '../runtime/version.js';
import type { CriHandlers } from './server.js';

export function criHandlers(runtime: Runtime, berthVersion: string): CriHandlers {
  return {
    runtime: {
      Version: versionHandler(berthVersion),
      Status: statusHandler(runtime),
      RuntimeConfig: runtimeConfigHandler(),
    },
    image: {
      ImageFsInfo: imageFsInfoHandler(runtime),
    },
  };
}
