// A full disk while pulling is a state of this node, not a fault in the image: it becomes
// RESOURCE_EXHAUSTED (what the kubelet's image GC reacts to), naming the directory that filled up.
import { ResourceExhaustedError, errorMessage } from '../../common/errors.js';

const noSpaceCodes = new Set(['ENOSPC', 'EDQUOT']);

/** ENOSPC or EDQUOT anywhere in `error`'s cause chain. */
export function isNoSpace(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    if (noSpaceCodes.has((current as NodeJS.ErrnoException).code ?? '')) return true;
  }
  return false;
}

/** `error` as RESOURCE_EXHAUSTED when it is a full disk (or quota); otherwise unchanged. */
export function asNoSpace(error: unknown, doing: string, dir: string): unknown {
  if (!isNoSpace(error) || error instanceof ResourceExhaustedError) return error;
  return new ResourceExhaustedError(`no space left on device ${doing} in ${dir} (${errorMessage(error)}): free space on that filesystem and pull again`, {
    cause: error,
  });
}
