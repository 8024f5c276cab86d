// berth.v1.Containers/StatPath: what docker cp asks about its destination first.
import type { PathStat, StatPathRequest__Output } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { UnaryHandler } from '../../server/instrument.js';
import { pathStat } from './path-stat.js';

export function statPath(runtime: Runtime): UnaryHandler<StatPathRequest__Output, PathStat> {
  return async (request) => pathStat(await runtime.files.statPath(request.container, request.path));
}
