// The cgroup layer: one interface, a cgroup v2 implementation (v2.ts, what real nodes run) and a
// v1 implementation (v1.ts, these hybrid development machines), chosen by detect.ts.
//
// Vocabulary
//   path     a berth cgroup path, relative and slash-separated ("kubepods/burstable/pod<uid>/<id>").
//            Each implementation anchors it at its base: the cgroup2 root (or the base it was
//            given) on v2, berth's own cgroup in every hierarchy on v1 (layout.ts says why).
//            Absolute paths, empty segments and ".." are refused with INVALID_ARGUMENT.
//   limits   what limits.ts maps from CRI resources; fields left out are not written.
//
// Contract
//   create(path)          makes the cgroup and any missing ancestors, and (v2) enables the
//                         controllers berth needs on every ancestor. Idempotent.
//   apply(path, limits)   writes the limits to a cgroup that exists (NOT_FOUND otherwise), in
//                         order; a value the kernel refuses stops it there (INVALID_ARGUMENT
//                         naming the file) and the writes before it stay: not a transaction.
//                         Invalid limits are refused before anything is written.
//   update(path, limits)  the same on a cgroup that may hold running processes: the order of
//                         writes keeps every intermediate state valid (v1 memory vs memsw).
//                         Limits left out keep their current value.
//   clearLimits(path)     puts "no limit" back (cpu quota, cpu shares/weight at their default,
//                         memory and swap, pids) where a file says otherwise, in a live-safe
//                         order; returns the files it changed. For berth's shared parents, which
//                         hold no pod's limits. An absent cgroup or controller: nothing to do.
//   stats(path)           usage read from the cgroup's files; a section whose controller is not
//                         there is left out.
//   oomEvents(path)       the OOM-kill counter (and how often the limit was hit).
//   processes(path)       pids in the cgroup (all hierarchies on v1), sorted.
//   addProcess(path, pid) moves a process in. Containers are placed by runc; this is for berth's
//                         own helpers and the tests.
//   remove(path)          removes the cgroup itself (not its ancestors). Refuses with
//                         FAILED_PRECONDITION while it holds processes or child cgroups.
//                         Idempotent: removing an absent cgroup succeeds.
import type { Limits } from './limits.js';
import type { CgroupStats, OomEvents } from './stats.js';

export type CgroupVersion = 'v2' | 'v1';

export interface Cgroups {
  readonly version: CgroupVersion;
  create(path: string): Promise<void>;
  apply(path: string, limits: Limits): Promise<void>;
  update(path: string, limits: Limits): Promise<void>;
  clearLimits(path: string): Promise<string[]>;
  stats(path: string): Promise<CgroupStats>;
  oomEvents(path: string): Promise<OomEvents>;
  processes(path: string): Promise<number[]>;
  addProcess(path: string, pid: number): Promise<void>;
  remove(path: string): Promise<void>;
}
