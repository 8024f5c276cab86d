// Paths inside the container that come from the API. A relative path or a ".." segment would be
// resolved by runc against whatever the rootfs holds at that moment, so they are refused outright
// rather than cleaned; the remaining harmless noise ("//", "/./", a trailing "/") is normalised
// so that "/data/" and "/data" are recognised as the same destination.
import { InvalidArgumentError } from '../../../common/errors.js';

export function containerPath(path: string, what: string): string {
  if (path.includes('\0')) throw new InvalidArgumentError(`${what} "${path}" contains a NUL byte`);
  if (!path.startsWith('/')) throw new InvalidArgumentError(`${what} "${path}" must be an absolute path`);
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new InvalidArgumentError(`${what} "${path}" must not contain ".." segments`);
  return `/${segments.join('/')}`;
}

/** Absolute host path (the caller resolved it; berth only refuses what cannot be meant). */
export function hostPath(path: string, what: string): string {
  if (path.includes('\0')) throw new InvalidArgumentError(`${what} "${path}" contains a NUL byte`);
  if (!path.startsWith('/')) throw new InvalidArgumentError(`${what} "${path}" must be an absolute host path`);
  return path;
}

export function pathDepth(path: string): number {
  return path.split('/').filter((s) => s !== '').length;
}

/** Whether `path` is `parent` or lies below it. */
export function isAtOrBelow(path: string, parent: string): boolean {
  return path === parent || parent === '/' || path.startsWith(`${parent}/`);
}
