// The cgroup v2 implementation of Cgroups (contract in cgroups.ts): one unified hierarchy, paths
// joined onto its anchor, limits written as the files v2-files.ts lists.
import { join } from 'node:path';
import { FailedPreconditionError, NotFoundError } from '../../common/errors.js';
import type { Cgroups } from './cgroups.js';
import { errnoCode, type CgroupFiles } from './cgroup-files.js';
import { cgroupPathPrefixes, cgroupPathSegments } from './cgroup-path.js';
import type { Limits } from './limits.js';
import type { CgroupAnchors, CgroupHierarchy } from './own-cgroup.js';
import { oomEventsFromV2, statsFromV2, type CgroupStats, type OomEvents, type V2StatFiles } from './stats.js';
import { limitsToV2Files, v2AtNoLimit, v2NoLimits } from './v2-files.js';
import { cgroupWriteError, parsePidList } from './write-error.js';

/** The controllers berth limits or measures with; others (rdma, misc) are left to the admin. */
export const v2Controllers = ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids'] as const;

export class CgroupsV2 implements Cgroups {
  readonly version = 'v2' as const;
  readonly #hierarchy: CgroupHierarchy;
  readonly #files: CgroupFiles;

  constructor(anchors: CgroupAnchors, files: CgroupFiles) {
    const [hierarchy] = anchors.hierarchies;
    if (anchors.version !== 'v2' || !hierarchy) throw new FailedPreconditionError('CgroupsV2 needs v2 anchors (one unified hierarchy)');
    this.#hierarchy = hierarchy;
    this.#files = files;
  }

  #anchorDir(): string {
    return join(this.#hierarchy.mountDir, this.#hierarchy.anchor);
  }

  /** The cgroup's directory; checks the path first. */
  dir(path: string): string {
    return join(this.#anchorDir(), ...cgroupPathSegments(path));
  }

  async create(path: string): Promise<void> {
    let parent = this.#anchorDir();
    for (const prefix of cgroupPathPrefixes(path)) {
      // A child sees only the controllers its parent enables in cgroup.subtree_control.
      await this.#enableControllers(parent);
      parent = join(this.#anchorDir(), prefix);
      await this.#files.mkdir(parent);
    }
  }

  async #enableControllers(dir: string): Promise<void> {
    const available = new Set((await this.#files.read(join(dir, 'cgroup.controllers')))?.trim().split(/\s+/) ?? []);
    const enabled = new Set((await this.#files.read(join(dir, 'cgroup.subtree_control')))?.trim().split(/\s+/) ?? []);
    const missing = v2Controllers.filter((c) => available.has(c) && !enabled.has(c));
    if (missing.length === 0) return;
    const value = missing.map((c) => `+${c}`).join(' ');
    try {
      await this.#files.write(join(dir, 'cgroup.subtree_control'), value);
    } catch (error) {
      throw cgroupWriteError(error, 'cgroup.subtree_control', value, dir);
    }
  }

  async #existing(path: string): Promise<string> {
    const dir = this.dir(path);
    if ((await this.#files.read(join(dir, 'cgroup.procs'))) === undefined) {
      throw new NotFoundError(`cgroup ${path} does not exist (${dir}): create it first`);
    }
    return dir;
  }

  async apply(path: string, limits: Limits): Promise<void> {
    const writes = limitsToV2Files(limits);
    const dir = await this.#existing(path);
    for (const [file, value] of writes) {
      try {
        await this.#files.write(join(dir, file), value);
      } catch (error) {
        throw cgroupWriteError(error, file, value, dir);
      }
    }
  }

  /** v2 limits are independent files, so a live update writes them in the same order. */
  async update(path: string, limits: Limits): Promise<void> {
    await this.apply(path, limits);
  }

  async clearLimits(path: string): Promise<string[]> {
    const dir = this.dir(path);
    const changed: string[] = [];
    for (const [file, value] of v2NoLimits) {
      const current = await this.#files.read(join(dir, file));
      if (current === undefined || v2AtNoLimit(file, current, value)) continue;
      try {
        await this.#files.write(join(dir, file), value);
      } catch (error) {
        throw cgroupWriteError(error, file, value, dir);
      }
      changed.push(file);
    }
    return changed;
  }

  async stats(path: string): Promise<CgroupStats> {
    const dir = await this.#existing(path);
    const read = (file: string): Promise<string | undefined> => this.#files.read(join(dir, file));
    const files = ['cpu.stat', 'memory.current', 'memory.stat', 'pids.current', 'io.stat', 'cpu.pressure', 'memory.pressure', 'io.pressure'] as const;
    // The *.pressure files are there only where the kernel keeps PSI: absent without CONFIG_PSI or
    // with psi=0 on current kernels, EOPNOTSUPP on older ones; either way the stats go without them.
    const optional = (file: string): Promise<string | undefined> =>
      read(file).catch((error: unknown) => {
        if (file.endsWith('.pressure') && errnoCode(error) === 'EOPNOTSUPP') return undefined;
        throw error;
      });
    const texts = await Promise.all(files.map(optional));
    return statsFromV2(Object.fromEntries(files.map((file, i) => [file, texts[i]])) as V2StatFiles);
  }

  async oomEvents(path: string): Promise<OomEvents> {
    const dir = await this.#existing(path);
    return oomEventsFromV2(await this.#files.read(join(dir, 'memory.events')));
  }

  async processes(path: string): Promise<number[]> {
    return parsePidList(await this.#files.read(join(this.dir(path), 'cgroup.procs')));
  }

  async addProcess(path: string, pid: number): Promise<void> {
    const dir = await this.#existing(path);
    try {
      await this.#files.write(join(dir, 'cgroup.procs'), String(pid));
    } catch (error) {
      throw cgroupWriteError(error, 'cgroup.procs', String(pid), dir);
    }
  }

  async remove(path: string): Promise<void> {
    const dir = this.dir(path);
    const pids = await this.processes(path);
    if (pids.length > 0) {
      throw new FailedPreconditionError(`cgroup ${path} still holds processes ${pids.join(', ')}: stop them before removing it`);
    }
    const children = await this.#files.children(dir);
    if (children.length > 0) {
      throw new FailedPreconditionError(`cgroup ${path} still has child cgroups (${children.join(', ')}): remove them first`);
    }
    try {
      await this.#files.rmdir(dir);
    } catch (error) {
      if (errnoCode(error) === 'EBUSY') {
        throw new FailedPreconditionError(`cgroup ${path} is still in use (EBUSY): a process entered it while removing`, { cause: error });
      }
      throw cgroupWriteError(error, '(rmdir)', '', dir);
    }
  }
}
