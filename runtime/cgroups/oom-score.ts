// oom_score_adj is not a cgroup file (the OCI spec's process.oomScoreAdj carries it), but it is a
// resource knob of the same request. Even root cannot LOWER a process's oom_score_adj on these
// machines (EACCES without CAP_SYS_RESOURCE over the value inherited), and runc fails a whole
// create when it tries; so a request below berth's own value is raised to it, as containerd's
// restrict_oom_score_adj does.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../common/errors.js';

export const minOomScoreAdj = -1000;
export const maxOomScoreAdj = 1000;

export interface ClampedOomScoreAdj {
  value: number;
  /** Set when the request was raised, for the caller's log line. */
  raisedFrom?: number;
}

export function clampOomScoreAdj(requested: number, daemonOwn: number): ClampedOomScoreAdj {
  if (!Number.isInteger(requested) || requested < minOomScoreAdj || requested > maxOomScoreAdj) {
    throw new InvalidArgumentError(`oom_score_adj ${requested} is outside ${minOomScoreAdj}..${maxOomScoreAdj}`);
  }
  return requested < daemonOwn ? { value: daemonOwn, raisedFrom: requested } : { value: requested };
}

export async function readOwnOomScoreAdj(procRoot = '/proc'): Promise<number> {
  return Number((await readFile(join(procRoot, 'self/oom_score_adj'), 'utf8')).trim());
}
