// Usage and OOM counters from the text of cgroup files. Pure: v2.ts and v1.ts read the files (any
// may be absent when its controller is not there) and hand the texts here.
export interface CpuStats {
  usageNanos: number;
  userNanos?: number;
  systemNanos?: number;
  /** CFS bandwidth: enforcement periods elapsed, periods throttled, time spent throttled. */
  periods: number;
  throttledPeriods: number;
  throttledNanos: number;
}

export interface MemoryStats {
  usageBytes: number;
  /** usage minus inactive file pages (what the kubelet evicts on), never below 0. */
  workingSetBytes: number;
  /** Anonymous memory: v2 "anon", v1 "total_rss". */
  rssBytes: number;
  /** Page cache: v2 "file", v1 "total_cache". */
  cacheBytes: number;
  pageFaults: number;
  majorPageFaults: number;
}

export interface IoDeviceStats {
  /** "major:minor" */
  device: string;
  readBytes: number;
  writeBytes: number;
  readOps: number;
  writeOps: number;
}

/** One line of a v2 *.pressure file: the share of time stalled (averages in %) and the total in ns. */
export interface PsiData {
  totalNanos: number;
  avg10: number;
  avg60: number;
  avg300: number;
}

/** A v2 *.pressure file: "some" tasks stalled, and "full" (all of them; absent for cpu on kernels before 5.13). */
export interface Pressure {
  some: PsiData;
  full?: PsiData;
}

export interface CgroupStats {
  cpu?: CpuStats;
  memory?: MemoryStats;
  pids?: { current: number };
  io?: IoDeviceStats[];
  /** Pressure stall information, v2 only, where the kernel keeps it (CONFIG_PSI, not off with psi=0). */
  psi?: { cpu?: Pressure; memory?: Pressure; io?: Pressure };
}

export interface OomEvents {
  /** Processes the kernel OOM-killed in this cgroup. */
  oomKills: number;
  /** Times usage hit the limit (v2 memory.events "max", v1 memory.failcnt). */
  limitHits: number;
}

/** "key value" lines (cpu.stat, memory.stat, memory.events, memory.oom_control) → a map. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value, extra] = line.trim().split(/\s+/);
    if (key === undefined || key === '' || value === undefined || extra !== undefined) continue;
    const number = Number(value);
    if (Number.isFinite(number)) values.set(key, number);
  }
  return values;
}

/** A file holding one number (memory.current, cpuacct.usage, pids.current). */
export function parseSingleValue(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^[0-9]+$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

/** v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device. */
export function parseIoStat(text: string): IoDeviceStats[] {
  const devices: IoDeviceStats[] = [];
  for (const line of text.split('\n')) {
    const [device, ...fields] = line.trim().split(/\s+/);
    if (device === undefined || !/^[0-9]+:[0-9]+$/.test(device)) continue;
    const values = new Map(fields.map((f) => f.split('=') as [string, string]).map(([k, v]) => [k, Number(v)]));
    devices.push({
      device,
      readBytes: values.get('rbytes') ?? 0,
      writeBytes: values.get('wbytes') ?? 0,
      readOps: values.get('rios') ?? 0,
      writeOps: values.get('wios') ?? 0,
    });
  }
  return devices;
}

/** v1 blkio.throttle.io_service_bytes / io_serviced: "8:0 Read 123" lines plus a "Total" line. */
export function parseBlkio(bytesText: string, opsText: string | undefined): IoDeviceStats[] {
  const byDevice = new Map<string, IoDeviceStats>();
  const entry = (device: string): IoDeviceStats => {
    let stats = byDevice.get(device);
    if (!stats) {
      stats = { device, readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0 };
      byDevice.set(device, stats);
    }
    return stats;
  };
  const read = (text: string, fields: { Read: 'readBytes' | 'readOps'; Write: 'writeBytes' | 'writeOps' }): void => {
    for (const line of text.split('\n')) {
      const [device, op, value] = line.trim().split(/\s+/);
      if (device === undefined || !/^[0-9]+:[0-9]+$/.test(device) || value === undefined) continue;
      if (op === 'Read' || op === 'Write') entry(device)[fields[op]] = Number(value);
    }
  };
  read(bytesText, { Read: 'readBytes', Write: 'writeBytes' });
  if (opsText !== undefined) read(opsText, { Read: 'readOps', Write: 'writeOps' });
  return [...byDevice.values()];
}

function workingSet(usage: number, inactiveFile: number): number {
  return Math.max(0, usage - inactiveFile);
}

/**
 * A v2 *.pressure file ("some avg10=0.00 avg60=0.00 avg300=0.00 total=123", total in µs, then the
 * same for "full"); undefined when it has no "some" line (the file reads empty or fails to parse).
 */
export function parsePressure(text: string): Pressure | undefined {
  const lines = new Map<string, PsiData>();
  for (const line of text.split('\n')) {
    const [kind, ...pairs] = line.trim().split(/\s+/);
    if (kind !== 'some' && kind !== 'full') continue;
    const fields = new Map(pairs.map((pair) => pair.split('=') as [string, string]));
    const numbers = ['avg10', 'avg60', 'avg300', 'total'].map((key) => Number(fields.get(key)));
    if (numbers.some((n) => !Number.isFinite(n))) continue;
    const [avg10 = 0, avg60 = 0, avg300 = 0, totalMicros = 0] = numbers;
    lines.set(kind, { totalNanos: totalMicros * 1000, avg10, avg60, avg300 });
  }
  const some = lines.get('some');
  if (!some) return undefined;
  const full = lines.get('full');
  return full ? { some, full } : { some };
}

export interface V2StatFiles {
  'cpu.stat'?: string | undefined;
  'cpu.pressure'?: string | undefined;
  'memory.pressure'?: string | undefined;
  'io.pressure'?: string | undefined;
  'memory.current'?: string | undefined;
  'memory.stat'?: string | undefined;
  'pids.current'?: string | undefined;
  'io.stat'?: string | undefined;
}

export function statsFromV2(files: V2StatFiles): CgroupStats {
  const stats: CgroupStats = {};
  if (files['cpu.stat'] !== undefined) {
    const cpu = parseFlatKeyed(files['cpu.stat']);
    const micros = (key: string): number => (cpu.get(key) ?? 0) * 1_000;
    stats.cpu = {
      usageNanos: micros('usage_usec'),
      userNanos: micros('user_usec'),
      systemNanos: micros('system_usec'),
      periods: cpu.get('nr_periods') ?? 0,
      throttledPeriods: cpu.get('nr_throttled') ?? 0,
      throttledNanos: micros('throttled_usec'),
    };
  }
  const usage = files['memory.current'] === undefined ? undefined : parseSingleValue(files['memory.current']);
  if (usage !== undefined) {
    const memory = parseFlatKeyed(files['memory.stat'] ?? '');
    stats.memory = {
      usageBytes: usage,
      workingSetBytes: workingSet(usage, memory.get('inactive_file') ?? 0),
      rssBytes: memory.get('anon') ?? 0,
      cacheBytes: memory.get('file') ?? 0,
      pageFaults: memory.get('pgfault') ?? 0,
      majorPageFaults: memory.get('pgmajfault') ?? 0,
    };
  }
  const pids = files['pids.current'] === undefined ? undefined : parseSingleValue(files['pids.current']);
  if (pids !== undefined) stats.pids = { current: pids };
  if (files['io.stat'] !== undefined) stats.io = parseIoStat(files['io.stat']);
  const psi: NonNullable<CgroupStats['psi']> = {};
  for (const resource of ['cpu', 'memory', 'io'] as const) {
    const text = files[`${resource}.pressure`];
    const pressure = text === undefined ? undefined : parsePressure(text);
    if (pressure) psi[resource] = pressure;
  }
  if (Object.keys(psi).length > 0) stats.psi = psi;
  return stats;
}

export interface V1StatFiles {
  'cpuacct.usage'?: string | undefined;
  'cpuacct.usage_user'?: string | undefined;
  'cpuacct.usage_sys'?: string | undefined;
  'cpu.stat'?: string | undefined;
  'memory.usage_in_bytes'?: string | undefined;
  'memory.stat'?: string | undefined;
  'pids.current'?: string | undefined;
  'blkio.throttle.io_service_bytes'?: string | undefined;
  'blkio.throttle.io_serviced'?: string | undefined;
}

export function statsFromV1(files: V1StatFiles): CgroupStats {
  const stats: CgroupStats = {};
  const usageNanos = files['cpuacct.usage'] === undefined ? undefined : parseSingleValue(files['cpuacct.usage']);
  if (usageNanos !== undefined || files['cpu.stat'] !== undefined) {
    const cpu = parseFlatKeyed(files['cpu.stat'] ?? '');
    stats.cpu = {
      usageNanos: usageNanos ?? 0,
      periods: cpu.get('nr_periods') ?? 0,
      throttledPeriods: cpu.get('nr_throttled') ?? 0,
      throttledNanos: cpu.get('throttled_time') ?? 0,
    };
    const user = files['cpuacct.usage_user'] === undefined ? undefined : parseSingleValue(files['cpuacct.usage_user']);
    const system = files['cpuacct.usage_sys'] === undefined ? undefined : parseSingleValue(files['cpuacct.usage_sys']);
    if (user !== undefined) stats.cpu.userNanos = user;
    if (system !== undefined) stats.cpu.systemNanos = system;
  }
  const usage = files['memory.usage_in_bytes'] === undefined ? undefined : parseSingleValue(files['memory.usage_in_bytes']);
  if (usage !== undefined) {
    // The total_* keys include child cgroups, like v2's memory.stat does.
    const memory = parseFlatKeyed(files['memory.stat'] ?? '');
    stats.memory = {
      usageBytes: usage,
      workingSetBytes: workingSet(usage, memory.get('total_inactive_file') ?? 0),
      rssBytes: memory.get('total_rss') ?? 0,
      cacheBytes: memory.get('total_cache') ?? 0,
      pageFaults: memory.get('total_pgfault') ?? 0,
      majorPageFaults: memory.get('total_pgmajfault') ?? 0,
    };
  }
  const pids = files['pids.current'] === undefined ? undefined : parseSingleValue(files['pids.current']);
  if (pids !== undefined) stats.pids = { current: pids };
  if (files['blkio.throttle.io_service_bytes'] !== undefined) {
    stats.io = parseBlkio(files['blkio.throttle.io_service_bytes'], files['blkio.throttle.io_serviced']);
  }
  return stats;
}

/** v2 memory.events. */
export function oomEventsFromV2(memoryEvents: string | undefined): OomEvents {
  const events = parseFlatKeyed(memoryEvents ?? '');
  return { oomKills: events.get('oom_kill') ?? 0, limitHits: events.get('max') ?? 0 };
}

/** v1 memory.oom_control (oom_kill since Linux 4.13) and memory.failcnt. */
export function oomEventsFromV1(oomControl: string | undefined, failcnt: string | undefined): OomEvents {
  const control = parseFlatKeyed(oomControl ?? '');
  return {
    oomKills: control.get('oom_kill') ?? 0,
    limitHits: (failcnt === undefined ? undefined : parseSingleValue(failcnt)) ?? 0,
  };
}
