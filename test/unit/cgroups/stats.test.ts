import { describe, expect, it } from 'vitest';
import { oomEventsFromV1, oomEventsFromV2, parseBlkio, parseIoStat, parsePressure, statsFromV1, statsFromV2 } from '../../../runtime/cgroups/stats.js';

const v2CpuStat = `usage_usec 2000123
user_usec 1500000
system_usec 500123
nr_periods 20
nr_throttled 16
throttled_usec 1600000
nr_bursts 0
burst_usec 0
`;

const v2MemoryStat = `anon 10485760
file 8388608
kernel 409600
inactive_anon 0
active_anon 10485760
inactive_file 6291456
active_file 2097152
pgfault 5120
pgmajfault 3
`;

const v2IoStat = `8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0
253:1 rbytes=0 wbytes=512 rios=0 wios=1 dbytes=0 dios=0
`;

const v1MemoryStat = `cache 217088
rss 1855488
inactive_file 81920
pgfault 100
total_cache 217088
total_rss 3855488
total_inactive_file 181920
total_pgfault 52929
total_pgmajfault 5
`;

describe('cgroup v2 stats', () => {
  it('reads cpu usage and throttling from cpu.stat in nanoseconds', () => {
    expect(statsFromV2({ 'cpu.stat': v2CpuStat }).cpu).toEqual({
      usageNanos: 2_000_123_000,
      userNanos: 1_500_000_000,
      systemNanos: 500_123_000,
      periods: 20,
      throttledPeriods: 16,
      throttledNanos: 1_600_000_000,
    });
  });

  it('computes the working set as usage minus inactive file pages', () => {
    expect(statsFromV2({ 'memory.current': '20971520\n', 'memory.stat': v2MemoryStat }).memory).toEqual({
      usageBytes: 20971520,
      workingSetBytes: 20971520 - 6291456,
      rssBytes: 10485760,
      cacheBytes: 8388608,
      pageFaults: 5120,
      majorPageFaults: 3,
    });
  });

  it('floors the working set at zero when inactive file pages exceed usage', () => {
    expect(statsFromV2({ 'memory.current': '100\n', 'memory.stat': 'inactive_file 4096\n' }).memory?.workingSetBytes).toBe(0);
  });

  it('reads io.stat per device', () => {
    expect(parseIoStat(v2IoStat)).toEqual([
      { device: '8:0', readBytes: 4096, writeBytes: 8192, readOps: 1, writeOps: 2 },
      { device: '253:1', readBytes: 0, writeBytes: 512, readOps: 0, writeOps: 1 },
    ]);
  });

  it('leaves out the sections whose files are absent', () => {
    expect(statsFromV2({ 'pids.current': '7\n' })).toEqual({ pids: { current: 7 } });
  });

  it('reads oom_kill and max from memory.events', () => {
    expect(oomEventsFromV2('low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n')).toEqual({ oomKills: 1, limitHits: 12 });
  });
});

describe('cgroup v1 stats', () => {
  it('reads cpuacct usage and cpu.stat throttling', () => {
    const stats = statsFromV1({
      'cpuacct.usage': '400000000\n',
      'cpuacct.usage_user': '300000000\n',
      'cpuacct.usage_sys': '100000000\n',
      'cpu.stat': 'nr_periods 20\nnr_throttled 18\nthrottled_time 1500000000\nnr_bursts 0\nburst_time 0\n',
    });
    expect(stats.cpu).toEqual({
      usageNanos: 400_000_000,
      userNanos: 300_000_000,
      systemNanos: 100_000_000,
      periods: 20,
      throttledPeriods: 18,
      throttledNanos: 1_500_000_000,
    });
  });

  it('uses the hierarchical total_* memory counters', () => {
    expect(statsFromV1({ 'memory.usage_in_bytes': '4000000\n', 'memory.stat': v1MemoryStat }).memory).toEqual({
      usageBytes: 4_000_000,
      workingSetBytes: 4_000_000 - 181920,
      rssBytes: 3855488,
      cacheBytes: 217088,
      pageFaults: 52929,
      majorPageFaults: 5,
    });
  });

  it('reads blkio bytes and operations per device, ignoring the Total line', () => {
    const bytes = '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Total 12288\nTotal 12288\n';
    const ops = '8:0 Read 1\n8:0 Write 2\n8:0 Total 3\nTotal 3\n';
    expect(parseBlkio(bytes, ops)).toEqual([{ device: '8:0', readBytes: 4096, writeBytes: 8192, readOps: 1, writeOps: 2 }]);
  });

  it('reads oom_kill from memory.oom_control and limit hits from memory.failcnt', () => {
    expect(oomEventsFromV1('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n', '57\n')).toEqual({ oomKills: 3, limitHits: 57 });
  });

  it('reports zero OOM kills on kernels whose oom_control has no oom_kill line', () => {
    expect(oomEventsFromV1('oom_kill_disable 0\nunder_oom 0\n', undefined)).toEqual({ oomKills: 0, limitHits: 0 });
  });
});

describe('pressure stall information (v2 *.pressure files)', () => {
  const cpuPressure = 'some avg10=1.50 avg60=0.25 avg300=0.05 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=7890\n';

  it('reads the some and full lines, totals from µs to ns', () => {
    expect(parsePressure(cpuPressure)).toEqual({
      some: { totalNanos: 123_456_000, avg10: 1.5, avg60: 0.25, avg300: 0.05 },
      full: { totalNanos: 7_890_000, avg10: 0, avg60: 0, avg300: 0 },
    });
  });

  it('keeps a file with only a some line (cpu.pressure before Linux 5.13) and refuses one without', () => {
    expect(parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n')).toEqual({ some: { totalNanos: 5000, avg10: 0, avg60: 0, avg300: 0 } });
    expect(parsePressure('')).toBeUndefined();
    expect(parsePressure('some avg10=x avg60=0.00 avg300=0.00 total=5\n')).toBeUndefined();
  });

  it('puts each resource present into the stats, and no psi at all where the kernel keeps none', () => {
    const stats = statsFromV2({
      'cpu.stat': v2CpuStat,
      'cpu.pressure': cpuPressure,
      'io.pressure': 'some avg10=0.00 avg60=0.00 avg300=0.00 total=42\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=40\n',
    });
    expect(stats.psi?.cpu?.some.totalNanos).toBe(123_456_000);
    expect(stats.psi?.io?.full?.totalNanos).toBe(40_000);
    expect(stats.psi?.memory).toBeUndefined();
    expect(statsFromV2({ 'cpu.stat': v2CpuStat }).psi).toBeUndefined();
  });
});
