// The cgroup v1 implementation of Cgroups (contract in cgroups.ts), for v1 and hybrid hosts: one
// directory per hierarchy, each below berth's own cgroup in that hierarchy (own-cgroup.ts says
// why). Limits are the files v1-files.ts lists, each written in its controller's hierarchy.
import { join } from 'node:path';
import { FailedPreconditionError, NotFoundError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Cgroups } from './cgroups.js';
import { errnoCode, type CgroupFiles } from './cgroup-files.js';
import { segmentsBelowAnchor } from './cgroup-path.js';
import type { Limits } from './limits.js';
import type { CgroupAnchors, CgroupHierarchy } from './own-cgroup.js';
import { oomEventsFromV1, statsFromV1, type CgroupStats, type OomEvents } from './stats.js';
import { limitsToV1Files, orderV1MemoryWrites, v1AtNoLimit, v1NoLimits, type V1FileWrite } from './v1-files.js';
import { cgroupWriteError, parsePidList } from './write-error.js';

export interface V1Options {
  /** memory.memsw.* exists in berth's memory cgroup. */
  swapAccounting: boolean;
  logger?: Logger;
}

export class CgroupsV1 implements Cgroups {
  readonly version = 'v1' as const;
  readonly #hierarchies: CgroupHierarchy[];
  readonly #hybridUnified: CgroupHierarchy | undefined;
  readonly #files: CgroupFiles;
  readonly #options: V1Options;

  constructor(anchors: CgroupAnchors, files: CgroupFiles, options: V1Options) {
    if (anchors.version !== 'v1' || anchors.hierarchies.length === 0) {
      throw new FailedPreconditionError('CgroupsV1 needs v1 anchors (at least one v1 hierarchy from /proc/self/cgroup)');
    }
    this.#hierarchies = anchors.hierarchies;
    this.#hybridUnified = anchors.hybridUnified;
    this.#files = files;
    this.#options = options;
  }

  #hierarchyOf(controller: string): CgroupHierarchy | undefined {
    return this.#hierarchies.find((h) => h.controllers.includes(controller));
  }

  #dirIn(hierarchy: CgroupHierarchy, path: string): string {
    return join(hierarchy.mountDir, hierarchy.anchor, ...segmentsBelowAnchor(path, hierarchy.anchor));
  }

  /** The cgroup's directory in the hierarchy holding `controller`, or undefined without one. */
  dir(path: string, controller: string): string | undefined {
    const hierarchy = this.#hierarchyOf(controller);
    return hierarchy && this.#dirIn(hierarchy, path);
  }

  async create(path: string): Promise<void> {
    // Checked in every hierarchy before the first mkdir: a refused path leaves nothing behind.
    const below = this.#hierarchies.map((hierarchy) => [hierarchy, segmentsBelowAnchor(path, hierarchy.anchor)] as const);
    for (const [hierarchy, segments] of below) {
      // Each level from the anchor down (a rooted path's levels above the anchor exist already).
      for (let depth = 1; depth <= segments.length; depth++) {
        const dir = join(hierarchy.mountDir, hierarchy.anchor, ...segments.slice(0, depth));
        await this.#files.mkdir(dir);
        // A new v1 cpuset starts with no cpus and no mems, and the kernel refuses to run a task
        // in it: give it its parent's (cgroup.clone_children is off by default).
        if (hierarchy.controllers.includes('cpuset')) await this.#inheritCpuset(dir);
      }
    }
  }

  async #inheritCpuset(dir: string): Promise<void> {
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      if ((await this.#files.read(join(dir, file)))?.trim() !== '') continue;
      const inherited = (await this.#files.read(join(dir, '..', file)))?.trim() ?? '';
      try {
        await this.#files.write(join(dir, file), inherited);
      } catch (error) {
        throw cgroupWriteError(error, file, inherited, dir);
      }
    }
  }

  #dirFor(path: string, controller: string): string {
    const dir = this.dir(path, controller);
    if (dir === undefined) throw new FailedPreconditionError(`this host mounts no cgroup v1 hierarchy with the ${controller} controller`);
    return dir;
  }

  async #requireExists(path: string): Promise<void> {
    const procs = await Promise.all(this.#hierarchies.map((h) => this.#files.read(join(this.#dirIn(h, path), 'cgroup.procs'))));
    const absentIn = this.#hierarchies.filter((_, i) => procs[i] === undefined).map((h) => h.name);
    if (absentIn.length > 0) {
      throw new NotFoundError(`cgroup ${path} does not exist in the ${absentIn.join(', ')} hierarchies: create it first`);
    }
  }

  async apply(path: string, limits: Limits): Promise<void> {
    await this.#requireExists(path);
    const warnings: string[] = [];
    const host = { swapAccounting: this.#options.swapAccounting, hugetlb: this.#hierarchyOf('hugetlb') !== undefined };
    let writes = limitsToV1Files(limits, host, warnings);
    for (const warning of warnings) this.#options.logger?.warn({ cgroup: path }, warning);
    if (writes.some(([, file]) => file === 'memory.memsw.limit_in_bytes')) {
      const memsw = await this.#files.read(join(this.#dirFor(path, 'memory'), 'memory.memsw.limit_in_bytes'));
      writes = orderV1MemoryWrites(writes, Number(memsw?.trim() ?? Number.MAX_SAFE_INTEGER));
    }
    for (const write of writes) await this.#write(path, write);
  }

  async #write(path: string, [controller, file, value]: V1FileWrite): Promise<void> {
    const dir = this.#dirFor(path, controller);
    try {
      await this.#files.write(join(dir, file), value);
    } catch (error) {
      throw cgroupWriteError(error, file, value, dir);
    }
  }

  /** apply() already orders memory against memsw by the values in force, so it is live-safe. */
  async update(path: string, limits: Limits): Promise<void> {
    await this.apply(path, limits);
  }

  async clearLimits(path: string): Promise<string[]> {
    const changed: string[] = [];
    for (const [controller, file, value] of v1NoLimits) {
      const dir = this.dir(path, controller);
      const current = dir === undefined ? undefined : await this.#files.read(join(dir, file));
      if (current === undefined || v1AtNoLimit(file, current, value)) continue;
      await this.#write(path, [controller, file, value]);
      changed.push(file);
    }
    return changed;
  }

  async stats(path: string): Promise<CgroupStats> {
    const read = async (controller: string, file: string): Promise<string | undefined> => {
      const dir = this.dir(path, controller);
      return dir === undefined ? undefined : this.#files.read(join(dir, file));
    };
    // No cgroup.procs check in every hierarchy first: stats are read every few seconds for every
    // container, and a cgroup that is gone shows as every read missing.
    const texts = await Promise.all([
      read('cpuacct', 'cpuacct.usage'),
      read('cpuacct', 'cpuacct.usage_user'),
      read('cpuacct', 'cpuacct.usage_sys'),
      read('cpu', 'cpu.stat'),
      read('memory', 'memory.usage_in_bytes'),
      read('memory', 'memory.stat'),
      read('pids', 'pids.current'),
      // The _recursive files include child cgroups, so a pod's numbers include its containers.
      read('blkio', 'blkio.throttle.io_service_bytes_recursive'),
      read('blkio', 'blkio.throttle.io_serviced_recursive'),
    ]);
    if (texts.every((text) => text === undefined)) throw new NotFoundError(`cgroup ${path} does not exist`);
    const [usage, usageUser, usageSys, cpuStat, memoryUsage, memoryStat, pidsCurrent, ioBytes, ioOps] = texts;
    return statsFromV1({
      'cpuacct.usage': usage,
      'cpuacct.usage_user': usageUser,
      'cpuacct.usage_sys': usageSys,
      'cpu.stat': cpuStat,
      'memory.usage_in_bytes': memoryUsage,
      'memory.stat': memoryStat,
      'pids.current': pidsCurrent,
      'blkio.throttle.io_service_bytes': ioBytes,
      'blkio.throttle.io_serviced': ioOps,
    });
  }

  async oomEvents(path: string): Promise<OomEvents> {
    const dir = this.#dirFor(path, 'memory');
    const [oomControl, failcnt] = await Promise.all([this.#files.read(join(dir, 'memory.oom_control')), this.#files.read(join(dir, 'memory.failcnt'))]);
    if (oomControl === undefined && failcnt === undefined) throw new NotFoundError(`cgroup ${path} does not exist in the memory hierarchy`);
    return oomEventsFromV1(oomControl, failcnt);
  }

  async processes(path: string): Promise<number[]> {
    const texts = await Promise.all(this.#hierarchies.map((h) => this.#files.read(join(this.#dirIn(h, path), 'cgroup.procs'))));
    const lists = texts.map(parsePidList);
    return [...new Set(lists.flat())].sort((a, b) => a - b);
  }

  async addProcess(path: string, pid: number): Promise<void> {
    await this.#requireExists(path);
    for (const hierarchy of this.#hierarchies) {
      const dir = this.#dirIn(hierarchy, path);
      try {
        await this.#files.write(join(dir, 'cgroup.procs'), String(pid));
      } catch (error) {
        throw cgroupWriteError(error, 'cgroup.procs', String(pid), dir);
      }
    }
  }

  async remove(path: string): Promise<void> {
    const pids = await this.processes(path);
    if (pids.length > 0) {
      throw new FailedPreconditionError(`cgroup ${path} still holds processes ${pids.join(', ')}: stop them before removing it`);
    }
    for (const hierarchy of this.#hierarchies) {
      const children = await this.#files.children(this.#dirIn(hierarchy, path));
      if (children.length > 0) {
        throw new FailedPreconditionError(`cgroup ${path} still has child cgroups in ${hierarchy.name} (${children.join(', ')}): remove them first`);
      }
    }
    // runc's mirror in a hybrid host's cgroup2 mount goes last, once the v1 dirs are gone.
    for (const hierarchy of this.#hybridUnified ? [...this.#hierarchies, this.#hybridUnified] : this.#hierarchies) {
      const dir = this.#dirIn(hierarchy, path);
      try {
        await this.#files.rmdir(dir);
      } catch (error) {
        if (errnoCode(error) === 'EBUSY') {
          const message = `cgroup ${path} is still in use in ${hierarchy.name} (EBUSY): a process entered it while removing`;
          throw new FailedPreconditionError(message, { cause: error });
        }
        throw cgroupWriteError(error, '(rmdir)', '', dir);
      }
    }
  }
}
