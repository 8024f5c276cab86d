// What a refused cgroup write means, as a berth error a person can act on. The kernel answers a
// bad value with EINVAL/ERANGE, a missing controller with ENOENT, a cgroup still in use with EBUSY.
import { type BerthError, FailedPreconditionError, InternalError, InvalidArgumentError, NotFoundError, PermissionDeniedError, errorMessage } from '../../common/errors.js';
import { errnoCode } from './cgroup-files.js';

export function cgroupWriteError(error: unknown, file: string, value: string, dir: string): BerthError {
  const where = `writing "${value}" to ${file} in ${dir}`;
  switch (errnoCode(error)) {
    case 'EINVAL':
    case 'ERANGE':
    case 'EOVERFLOW':
      return new InvalidArgumentError(`the kernel refused ${where}: the value is out of range for this cgroup`, { cause: error });
    case 'ENOENT':
      return new FailedPreconditionError(`${file} does not exist in ${dir}: its controller is not available or not enabled there`, {
        cause: error,
      });
    case 'EBUSY':
      return new FailedPreconditionError(`the kernel refused ${where} while the cgroup is in use (EBUSY): ${errorMessage(error)}`, {
        cause: error,
      });
    case 'EACCES':
    case 'EPERM':
      return new PermissionDeniedError(`permission denied ${where}: berth needs root and a cgroup it owns`, { cause: error });
    case 'ESRCH':
      return new NotFoundError(`${where}: no such process`, { cause: error });
    default:
      return new InternalError(`${where} failed: ${errorMessage(error)}`, { cause: error });
  }
}

/** cgroup.procs text → sorted pids. */
export function parsePidList(text: string | undefined): number[] {
  if (text === undefined) return [];
  return text
    .split('\n')
    .filter((l) => /^[0-9]+$/.test(l.trim()))
    .map((l) => Number(l.trim()))
    .sort((a, b) => a - b);
}
