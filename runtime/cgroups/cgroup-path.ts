// berth cgroup paths are relative ("kubepods/burstable/pod<uid>/<id>") and joined onto trusted
// anchors, so a path that climbs out ("..") or hides an absolute path would write limits to, or
// remove, cgroups berth does not own. Every path is checked here before any file is touched.
import { InvalidArgumentError } from '../../common/errors.js';

/** The path's segments, or INVALID_ARGUMENT naming what is wrong with it. */
export function cgroupPathSegments(path: string): string[] {
  if (path === '') throw new InvalidArgumentError('cgroup path is empty: give a relative path like "kubepods/pod<uid>"');
  if (path.startsWith('/')) {
    throw new InvalidArgumentError(`cgroup path "${path}" is absolute: berth cgroup paths are relative to berth's anchor`);
  }
  const segments = path.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new InvalidArgumentError(`cgroup path "${path}" has an empty, "." or ".." segment`);
    }
    if (/[\0\n]/.test(segment)) throw new InvalidArgumentError(`cgroup path "${JSON.stringify(path)}" has a NUL or newline in it`);
  }
  return segments;
}

/** Each ancestor path then the path itself: "a/b/c" → ["a", "a/b", "a/b/c"]. */
export function cgroupPathPrefixes(path: string): string[] {
  const segments = cgroupPathSegments(path);
  return segments.map((_, i) => segments.slice(0, i + 1).join('/'));
}
