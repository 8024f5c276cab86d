// Which function answers which berth.v1.Containers RPC (api/berth/v1/containers.proto); one file each.
import type { Runtime } from '../../../runtime/runtime.js';
import type { CriHandlers } from '../../server/server.js';
import { changes } from './changes.js';
import { copyFrom } from './copy-from.js';
import { copyTo } from './copy-to.js';
import { exportContainer } from './export.js';
import { kill } from './kill.js';
import { rename } from './rename.js';
import { statPath } from './stat-path.js';

export function berthContainersHandlers(runtime: Runtime): NonNullable<CriHandlers['berthContainers']> {
  return {
    Kill: kill(runtime),
    Rename: rename(runtime),
    Changes: changes(runtime),
    Export: exportContainer(runtime),
    StatPath: statPath(runtime),
    CopyFrom: copyFrom(runtime),
    CopyTo: copyTo(runtime),
  };
}
