// What a container uses, for the CRI stats RPCs: its cgroup's counters and its writable layer.
// The CPU rate (nano-cores) needs two looks; the previous one is kept per container.
import type { CgroupStats, OomEvents } from '../cgroups/stats.js';
import type { ContainerPorts } from './container-ports.js';
import type { ContainerRecord } from './container-record.js';

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

export interface UsageOptions {
  /**
   * What the metrics RPCs need: the cgroup's counters with the OOM-kill and limit-hit counters,
   * and nothing else: no walk of the writable layer, and no CPU rate sample (a metrics scrape
   * between two stats calls would shrink the window the rate is measured over).
   */
  metrics?: boolean;
}

// Wall-clock nanoseconds from the monotonic clock: precise, and never going backwards between looks.
const epochNanosAtStart = BigInt(Date.now()) * 1_000_000n;
const hrtimeAtEpoch = process.hrtime.bigint();

/** Reads what containers use; a part that cannot be read (cgroup gone) is left out. */
export class UsageReader {
  private readonly cpuRate = new CpuRate();

  constructor(private readonly ports: Pick<ContainerPorts, 'cgroups' | 'snapshots'>) {}

  /**
   * The OOM counters only when asked (the metrics RPCs): two more reads per container a stats
   * list does not need.
   */
  async read(record: ContainerRecord, options: UsageOptions = {}): Promise<ContainerUsage> {
    const timestampNanos = process.hrtime.bigint() - hrtimeAtEpoch + epochNanosAtStart;
    const path = record.cgroupPath;
    const metrics = options.metrics ?? false;
    const [cgroup, oom, writableLayer] = await Promise.all([
      path ? this.ports.cgroups.stats(path).catch(() => undefined) : undefined,
      path && metrics ? this.ports.cgroups.oomEvents(path).catch(() => undefined) : undefined,
      metrics ? undefined : this.ports.snapshots.usage(record.id).catch(() => undefined),
    ]);
    return {
      timestampNanos,
      cgroup,
      oom,
      usageNanoCores: metrics ? undefined : this.cpuRate.sample(record.id, cgroup?.cpu?.usageNanos, timestampNanos),
      writableLayer,
    };
  }

  forget(id: string): void {
    this.cpuRate.forget(id);
  }
}
