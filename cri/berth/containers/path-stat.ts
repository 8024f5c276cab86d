// The PathStat message of what a path names in a container.
import type { PathStat } from '../../../api/berth/berth-messages.js';
import { statMode, type PathInfo } from '../../../runtime/containers/container-files.js';

export function pathStat(info: PathInfo): PathStat {
  return { name: info.name, size: info.stat.size, mode: statMode(info.stat), mtime: info.stat.mtime.toISOString(), linkTarget: info.linkTarget };
}
