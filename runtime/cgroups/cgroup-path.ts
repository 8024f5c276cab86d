// berth cgroup paths are relative ("kubepods/burstable/pod<uid>/<id>") and joined onto trusted
// anchors, so a path that climbs out ("..") or hides an absolute path would write limits to, or
// remove, cgroups berth does not own. Every path is checked here before any file is touched.
// One exception, made only by layout.ts's resolveParent: a rooted path ("/<anchor>/.../pod<uid>"),
// an absolute cgroup_parent that already lies below berth's anchor in every hierarchy, names the
// same cgroup from each hierarchy's root; segmentsBelowAnchor refuses it anywhere else. Only v1
// takes rooted paths: a v2 anchor is the root, where the relative path names the same cgroup.
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

/** Whether `path` is rooted (named from each hierarchy's root, see above) rather than relative to the anchor. */
export function isRootedCgroupPath(path: string): boolean {
  return path.startsWith('/');
}

/**
 * The segments of a berth path below `anchor` (a cgroup path from the hierarchy root, "/" or
 * "/process_api/<id>"): a relative path's own; a rooted path's after the anchor's, which it must
 * start with and go below (INVALID_ARGUMENT otherwise: it would leave berth's cgroup).
 */
export function segmentsBelowAnchor(path: string, anchor: string): string[] {
  if (!isRootedCgroupPath(path)) return cgroupPathSegments(path);
  const segments = cgroupPathSegments(path.slice(1));
  const anchorSegments = anchor.split('/').filter(Boolean);
  const below = anchorSegments.every((segment, i) => segments[i] === segment) && segments.length > anchorSegments.length;
  if (!below) throw new InvalidArgumentError(`cgroup path "${path}" is not below berth's own cgroup ${anchor} in every hierarchy`);
  return segments.slice(anchorSegments.length);
}
