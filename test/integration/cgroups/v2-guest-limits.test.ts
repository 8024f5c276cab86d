// The same limits on a real pure cgroup v2 kernel (Debian's cloud kernel under qemu, one boot):
// memory OOM, cpu.max throttling, pids.max, live updates, the hugetlb and unified files. Limits
// are written from berth's own Limits → v2 files mapping; what the guest kernel reports is read
// back with berth's own stats parsers.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Limits } from '../../../runtime/cgroups/limits.js';
import { oomEventsFromV2, statsFromV2, type CgroupStats } from '../../../runtime/cgroups/stats.js';
import { guestTimeLimitMs, runInV2Guest, type GuestResult } from '../../harness/v2-guest.js';
import { applyLines, dumpLines, expectedReadback, holdMemory, parseDumps, readbackLines, waitUntil } from './v2-guest-script.js';

const mib = 1 << 20;
const root = '/sys/fs/cgroup/berth';

const oomLimits: Limits = { memoryBytes: 8 * mib, memorySwapBytes: 8 * mib, unified: { 'memory.low': String(mib) } };
const cpuLimits: Limits = { cpuShares: 512, cpuQuotaUs: 20_000, cpuPeriodUs: 100_000, cpusetCpus: '0', cpusetMems: '0' };
const pidsLimits: Limits = { pidsMax: 10, hugepages: [{ pageSize: '2MB', limitBytes: 0 }] };
const roomy: Limits = { memoryBytes: 32 * mib, memorySwapBytes: 32 * mib };
const tight: Limits = { memoryBytes: 8 * mib, memorySwapBytes: 8 * mib };

// tail keeps a newline-less input in memory until it ends.
const allocate = (megabytes: number): string => `head -c ${megabytes}m /dev/zero | tail >/dev/null; echo "tail-exit $?"`;
const inCgroup = (dir: string, command: string): string => `sh -c 'echo $$ > ${dir}/cgroup.procs; ${command}'`;

const script = `
echo '+cpuset +cpu +memory +pids +hugetlb' > /sys/fs/cgroup/cgroup.subtree_control
mkdir ${root}
echo '+cpuset +cpu +memory +pids +hugetlb' > ${root}/cgroup.subtree_control
for name in oom cpu pids update live; do mkdir ${root}/$name; done

${applyLines(`${root}/oom`, oomLimits)}
${readbackLines('oom', `${root}/oom`, oomLimits)}
echo "oom-run $(${inCgroup(`${root}/oom`, allocate(24))})"
${dumpLines('oom', `${root}/oom`, ['memory.events'])}

${applyLines(`${root}/cpu`, cpuLimits)}
${readbackLines('cpu', `${root}/cpu`, cpuLimits)}
${inCgroup(`${root}/cpu`, 'while :; do :; done')} &
busy=$!
sleep 0.3
echo "cpu-uptime-start $(cut -d" " -f1 /proc/uptime)"
${dumpLines('cpu-start', `${root}/cpu`, ['cpu.stat'])}
sleep 2
echo "cpu-uptime-end $(cut -d" " -f1 /proc/uptime)"
${dumpLines('cpu-end', `${root}/cpu`, ['cpu.stat'])}
kill -9 $busy

${applyLines(`${root}/pids`, pidsLimits)}
${readbackLines('pids', `${root}/pids`, pidsLimits)}
${inCgroup(`${root}/pids`, 'i=0; while [ $i -lt 50 ]; do sleep 60 >/dev/null 2>&1 & i=$((i+1)); done; echo loop-finished')}
${dumpLines('pids', `${root}/pids`, ['pids.current', 'pids.events'])}
kill -9 $(cat ${root}/pids/cgroup.procs) 2>/dev/null
echo "host-forks $(sh -c 'echo ok')"

${applyLines(`${root}/update`, roomy)}
echo "update-before $(${inCgroup(`${root}/update`, allocate(16))})"
${applyLines(`${root}/update`, tight)}
echo "update-max $(cat ${root}/update/memory.max)"
echo "update-after $(${inCgroup(`${root}/update`, allocate(16))})"

${applyLines(`${root}/live`, roomy)}
${inCgroup(`${root}/live`, holdMemory(17))} > /tmp/live.out 2>&1 &
${waitUntil('grep -q held /tmp/live.out')}
echo "live-held $(cat /tmp/live.out)"
${dumpLines('live-before', `${root}/live`, ['memory.current', 'memory.stat'])}
${applyLines(`${root}/live`, tight)}
${waitUntil(`grep -q 'oom_kill [1-9]' ${root}/live/memory.events`)}
${dumpLines('live-after', `${root}/live`, ['memory.current', 'memory.stat', 'memory.events'])}
`;

function lines(result: GuestResult, prefix: string): string[] {
  return result.output.split('\n').filter((l) => l.startsWith(prefix));
}

function value(result: GuestResult, key: string): string {
  const line = lines(result, `${key} `)[0];
  if (line === undefined) throw new Error(`the guest printed no "${key}" line:\n${result.output}`);
  return line.slice(key.length + 1);
}

let guest: GuestResult;
let dumps: Map<string, Record<string, string>>;

function dump(label: string): Record<string, string> {
  const files = dumps.get(label);
  if (!files) throw new Error(`the guest printed no "${label}" files:\n${guest.output}`);
  return files;
}

function stats(label: string): CgroupStats {
  return statsFromV2(dump(label));
}

beforeAll(async () => {
  guest = await runInV2Guest(script);
  dumps = parseDumps(guest.output);
}, guestTimeLimitMs());

describe('cgroup v2 limits on a real v2 kernel (qemu guest)', () => {
  it('accepts every file berth writes and keeps the values', () => {
    expect(lines(guest, 'write-failed')).toEqual([]);
    expect(lines(guest, 'readback ')).toEqual([...expectedReadback('oom', oomLimits), ...expectedReadback('cpu', cpuLimits), ...expectedReadback('pids', pidsLimits)]);
  });

  it('OOM-kills a process that allocates past memory.max and counts it in memory.events', () => {
    expect(value(guest, 'oom-run')).toBe('tail-exit 137');
    const events = oomEventsFromV2(dump('oom')['memory.events']);
    expect(events.oomKills).toBeGreaterThanOrEqual(1);
    expect(events.limitHits).toBeGreaterThanOrEqual(1);
  });

  it('throttles a busy loop to about 0.2 CPU with cpu.max', () => {
    const start = stats('cpu-start').cpu;
    const end = stats('cpu-end').cpu;
    const seconds = Number(value(guest, 'cpu-uptime-end')) - Number(value(guest, 'cpu-uptime-start'));
    const cpus = ((end?.usageNanos ?? 0) - (start?.usageNanos ?? 0)) / 1e9 / seconds;
    expect(cpus).toBeGreaterThan(0.1);
    expect(cpus).toBeLessThan(0.35);
    expect(end?.throttledPeriods ?? 0).toBeGreaterThan(start?.throttledPeriods ?? 0);
    expect(end?.throttledNanos ?? 0).toBeGreaterThan(0);
  });

  it('stops a fork loop at pids.max and the rest of the guest still forks', () => {
    expect(lines(guest, 'loop-finished')).toEqual([]);
    expect(stats('pids').pids?.current).toBeLessThanOrEqual(10);
    expect(dump('pids')['pids.events']).toMatch(/^max [1-9]/);
    expect(value(guest, 'host-forks')).toBe('ok');
  });

  it('applies a lowered memory.max to the next allocation', () => {
    expect(value(guest, 'update-before')).toBe('tail-exit 0');
    expect(value(guest, 'update-max')).toBe(String(8 * mib));
    expect(value(guest, 'update-after')).toBe('tail-exit 137');
  });

  it('reports the usage of a running process, then OOM-kills it when memory.max is lowered below it', () => {
    expect(value(guest, 'live-held')).toBe('held');
    const before = stats('live-before').memory;
    expect(before?.usageBytes).toBeGreaterThanOrEqual(16 * mib);
    expect(before?.rssBytes).toBeGreaterThanOrEqual(15 * mib);
    expect(before?.workingSetBytes).toBeLessThanOrEqual(before?.usageBytes ?? 0);
    expect(stats('live-after').memory?.usageBytes).toBeLessThan(8 * mib);
    expect(oomEventsFromV2(dump('live-after')['memory.events']).oomKills).toBeGreaterThanOrEqual(1);
  });
});
