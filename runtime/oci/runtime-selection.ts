// Which OCI runtime berth drives. runc works on every cgroup layout; crun 1.8 refuses hybrid
// hosts ("cgroups in hybrid mode not supported"), so it is only ever picked, or accepted when
// asked for, on a pure cgroup v2 host. Left to choose, berth prefers crun there (faster starts)
// and runc everywhere else.
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { FailedPreconditionError, NotFoundError } from '../../common/errors.js';
import type { OciRuntimeName } from '../config.js';
import type { CgroupMode } from './cgroup-mode.js';

export type { OciRuntimeName };

export interface RuntimeFacts {
  cgroupMode: CgroupMode;
  /** Absolute paths of the runtimes found on this host. */
  found: Partial<Record<OciRuntimeName, string>>;
}

export interface SelectedRuntime {
  name: OciRuntimeName;
  path: string;
  /** Why this one: for the start-up log line. */
  reason: string;
}

/** Pure: picks the runtime for an explicit request (or none) on a host with these facts. */
export function selectOciRuntime(requested: OciRuntimeName | undefined, facts: RuntimeFacts): SelectedRuntime {
  if (requested === 'crun' && facts.cgroupMode !== 'v2') {
    throw new FailedPreconditionError(
      `crun was requested but this host's cgroups are ${facts.cgroupMode}, and crun runs only on a pure cgroup v2 host; ` +
        'use runc (--runtime runc) here, or boot the host with cgroup v2 only (systemd.unified_cgroup_hierarchy=1)',
    );
  }
  if (requested !== undefined) {
    const path = facts.found[requested];
    if (path === undefined) throw new NotFoundError(`OCI runtime ${requested} was requested but is not installed (not on PATH)`);
    return { name: requested, path, reason: 'requested' };
  }
  if (facts.cgroupMode === 'v2' && facts.found.crun !== undefined) {
    return { name: 'crun', path: facts.found.crun, reason: 'pure cgroup v2 host with crun installed' };
  }
  if (facts.found.runc !== undefined) {
    return { name: 'runc', path: facts.found.runc, reason: `default on a ${facts.cgroupMode} cgroup host` };
  }
  throw new NotFoundError(facts.cgroupMode === 'v2' ? 'no OCI runtime found: install runc or crun' : `no OCI runtime found: install runc (crun cannot run on this ${facts.cgroupMode} cgroup host)`);
}

/** The absolute path of an executable named `name` on `searchPath` (a PATH value), if any. */
export async function findExecutable(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here: keep looking
    }
  }
  return undefined;
}

/** Gathers the facts for `selectOciRuntime` from this host. */
export async function findOciRuntimes(searchPath: string): Promise<RuntimeFacts['found']> {
  const found: RuntimeFacts['found'] = {};
  for (const name of ['runc', 'crun'] as const) {
    const path = await findExecutable(name, searchPath);
    if (path !== undefined) found[name] = path;
  }
  return found;
}
