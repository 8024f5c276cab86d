// Which function answers which berth.v1.Containers RPC (api/berth/v1/containers.proto); one file each.
import type { Runtime } from '../../../runtime/runtime.js';
import type { CriHandlers } from '../../server/server.js';
import { kill } from './kill.js';
import { rename } from './rename.js';

export function berthContainersHandlers(runtime: Runtime): NonNullable<CriHandlers['berthContainers']> {
  return {
    Kill: kill(runtime),
    Rename: rename(runtime),
  };
}
