// What a container uses, for the CRI stats RPCs: its cgroup's counters and its writable layer.
// The CPU rate (nano-cores) needs two looks; the previous one is kept per container.
import type { CgroupStats, OomEvents } from '../cgroups/stats.js';

export interface WritableLayerUsage {
  usedBytes: number;
  inodesUsed: number;
  /** Where the layer lives on the host, for the CRI's fs_id. */
  mountpoint: string;
}

export interface ContainerUsage {
  /** Nanoseconds since the epoch when the counters were read. */
  timestampNanos: bigint;
  cgroup: CgroupStats | undefined;
  oom: OomEvents | undefined;
  /** CPU rate since the previous look at this container; undefined on the first. */
  usageNanoCores: number | undefined;
  writableLayer: WritableLayerUsage | undefined;
}

/** Remembers the last CPU sample of each container to turn cumulative usage into a rate. */
export class CpuRate {
  private readonly last = new Map<string, { usageNanos: number; at: bigint }>();

  sample(id: string, usageNanos: number | undefined, at: bigint): number | undefined {
    if (usageNanos === undefined) return undefined;
    const previous = this.last.get(id);
    this.last.set(id, { usageNanos, at });
    if (!previous || at <= previous.at || usageNanos < previous.usageNanos) return undefined;
    return Math.round(((usageNanos - previous.usageNanos) * 1e9) / Number(at - previous.at));
  }

  forget(id: string): void {
    this.last.delete(id);
  }
}
