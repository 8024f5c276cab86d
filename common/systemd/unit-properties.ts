// Cgroup limits as systemd unit properties (systemd.resource-control(5)), the form the systemd
// driver hands them to systemd in, so that systemd writes the cgroup files itself and keeps them
// when it realizes the unit again (a daemon-reload, a sibling's start): a file written behind
// systemd's back is put back to the unit's value then. Pure. v1 and v2 take different names
// (CPUShares/MemoryLimit vs CPUWeight/MemoryMax) for the same limits.

export type UnitPropertyType = 's' | 'b' | 't';

/** One D-Bus (sv) pair: the property, its D-Bus type and its value as busctl reads it. */
export interface UnitProperty {
  name: string;
  type: UnitPropertyType;
  value: string;
}

/** The limits the systemd driver sets on a slice or scope; absent: not set. */
export interface UnitLimits {
  /** cgroup v1 cpu.shares units; v2 gets the same weight runc and the kubelet compute. */
  cpuShares?: number | undefined;
  /** CFS quota and period in microseconds; quota -1: no limit. */
  cpuQuotaUs?: number | undefined;
  cpuPeriodUs?: number | undefined;
  memoryBytes?: number | undefined;
  /** -1: no limit. */
  pidsMax?: number | undefined;
}

/** systemd's "infinity" for a uint64 property. */
const infinity = '18446744073709551615';
const defaultPeriodUs = 100_000;

/** cpu.shares → cpu.weight (2..262144 → 1..10000), as runc, crun and the kubelet convert. */
export function sharesToWeight(shares: number): number {
  const clamped = Math.min(262_144, Math.max(2, Math.trunc(shares)));
  return 1 + Math.trunc(((clamped - 2) * 9999) / 262_142);
}

/**
 * The properties for `limits` on cgroup `version`, with accounting on for cpu, memory, tasks
 * and block io: on v1 systemd makes a unit's directory in a controller's hierarchy only when
 * the unit uses that controller, and the pod's stats are read from those directories.
 */
export function unitPropertiesFor(limits: UnitLimits, version: 'v1' | 'v2'): UnitProperty[] {
  const props: UnitProperty[] = [
    { name: 'CPUAccounting', type: 'b', value: 'true' },
    { name: 'MemoryAccounting', type: 'b', value: 'true' },
    { name: 'TasksAccounting', type: 'b', value: 'true' },
    { name: version === 'v1' ? 'BlockIOAccounting' : 'IOAccounting', type: 'b', value: 'true' },
  ];
  if (limits.cpuShares !== undefined && limits.cpuShares > 0) {
    props.push(version === 'v1' ? { name: 'CPUShares', type: 't', value: String(Math.trunc(limits.cpuShares)) } : { name: 'CPUWeight', type: 't', value: String(sharesToWeight(limits.cpuShares)) });
  }
  if (limits.cpuQuotaUs !== undefined && limits.cpuQuotaUs !== 0) {
    const period = limits.cpuPeriodUs && limits.cpuPeriodUs > 0 ? limits.cpuPeriodUs : defaultPeriodUs;
    if (period !== defaultPeriodUs) props.push({ name: 'CPUQuotaPeriodUSec', type: 't', value: String(period) });
    // systemd keeps the quota as a whole percent of a CPU (10 ms per second): rounded up, as
    // runc rounds it, so the unit never holds its containers below their own quota.
    const perSecond = limits.cpuQuotaUs < 0 ? infinity : String(Math.ceil((limits.cpuQuotaUs * 1_000_000) / period / 10_000) * 10_000);
    props.push({ name: 'CPUQuotaPerSecUSec', type: 't', value: perSecond });
  }
  if (limits.memoryBytes !== undefined && limits.memoryBytes !== 0) {
    props.push({ name: version === 'v1' ? 'MemoryLimit' : 'MemoryMax', type: 't', value: limits.memoryBytes < 0 ? infinity : String(Math.trunc(limits.memoryBytes)) });
  }
  if (limits.pidsMax !== undefined && limits.pidsMax !== 0) {
    props.push({ name: 'TasksMax', type: 't', value: limits.pidsMax < 0 ? infinity : String(Math.trunc(limits.pidsMax)) });
  }
  return props;
}

/** busctl's words for an a(sv) argument: the count, then name, type and value of each. */
export function busctlPropertyArgs(props: readonly UnitProperty[]): string[] {
  return [String(props.length), ...props.flatMap((p) => [p.name, p.type, p.value])];
}
