// Which function answers which berth.v1.Volumes RPC (api/berth/v1/volumes.proto); one file each.
import type { Runtime } from '../../../runtime/runtime.js';
import type { CriHandlers } from '../../server/server.js';
import { createVolume } from './create.js';
import { inspectVolume } from './inspect.js';
import { listVolumes } from './list.js';
import { pruneVolumes } from './prune.js';
import { removeVolume } from './remove.js';

export function berthVolumesHandlers(runtime: Runtime): NonNullable<CriHandlers['berthVolumes']> {
  return {
    Create: createVolume(runtime),
    List: listVolumes(runtime),
    Inspect: inspectVolume(runtime),
    Remove: removeVolume(runtime),
    Prune: pruneVolumes(runtime),
  };
}
