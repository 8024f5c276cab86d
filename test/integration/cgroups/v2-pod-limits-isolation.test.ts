// One pod's limits never land on others, on cgroup v2 (the v1 side, through crictl and berth run
// on this hybrid host, is test/integration/cri/pod-limits-isolation.test.ts).
//
// Why this shape: this host has no cgroup v2 controllers (its cgroup2 mount holds only hugetlb),
// and the pure v2 kernel is a qemu guest under TCG where node, berth and runc cannot run in
// reasonable time. So berth's real pod-cgroup rule (sandboxCgroupPort and the container
// placement, over the real CgroupsV2 writer) runs here against a v2 root modelled in memory
// (v2-replay-files.ts), which writes down each mkdir, write and rmdir it makes; those lines are
// then replayed on the real v2 kernel in one guest boot, which reads the files back and runs a
// busy loop where a parentless pod's container would run. What runc does for a container
// (its cgroup and its cpu.max) is done by the same writer, as berth run --cpus 0.5 asks. First,
// the limits berth before this fix left on the shared parent are written and cleared as berth's
// start clears them.
import { beforeAll, describe, expect, it } from 'vitest';
import { CgroupsV2, v2Controllers } from '../../../runtime/cgroups/v2.js';
import { v2Anchors } from '../../../runtime/cgroups/own-cgroup.js';
import { statsFromV2 } from '../../../runtime/cgroups/stats.js';
import { silentLogger } from '../../../common/logger.js';
import { clearSharedParentLimits, containerCgroupPlacement, sandboxCgroupPort } from '../../../runtime/sandbox/pod-cgroups.js';
import { guestTimeLimitMs, runInV2Guest, type GuestResult } from '../../harness/v2-guest.js';
import { dumpLines, parseDumps } from './v2-guest-script.js';
import { criResources } from '../../unit/cgroups/cri-resources.js';
import { ReplayedV2Files } from './v2-replay-files.js';

const MiB = 1024 * 1024;
const root = '/sys/fs/cgroup';
const limitedPod = 'a'.repeat(64);
const otherPod = 'b'.repeat(64);

const anchors = v2Anchors(root, [...v2Controllers]);
const files = new ReplayedV2Files(root, v2Controllers);
const cgroups = new CgroupsV2(anchors, files);
const pods = sandboxCgroupPort(cgroups, anchors);
const placement = containerCgroupPlacement(anchors);
const dir = (path: string): string => `${root}/${path}`;
const parentless = (cgroupPath: string) => ({ config: { linux: null }, cgroupPath }) as unknown as Parameters<typeof placement.path>[0];

/** What the model saw after each step, for the in-memory checks. */
const seen: Record<string, Record<string, string> | undefined> = {};
let limitedPath = '';
let containerPath = '';
let guest: GuestResult;

beforeAll(async () => {
  // What berth before this fix left on the shared parent, cleared as berth starts now.
  await cgroups.create('berth');
  await cgroups.apply('berth', { cpuShares: 512, cpuQuotaUs: 20_000, cpuPeriodUs: 100_000, memoryBytes: 100 * MiB });
  await clearSharedParentLimits(cgroups, silentLogger());
  files.lines.push(dumpLines('parent-cleared', dir('berth'), ['cpu.max', 'cpu.weight', 'memory.max']));
  seen['parent at start'] = files.written(dir('berth'));

  limitedPath = await pods.create('', limitedPod, {
    resources: criResources({ cpuPeriod: '100000', cpuQuota: '20000', memoryLimitInBytes: String(100 * MiB) }),
    overhead: null,
  });
  seen['parent after the limited pod'] = files.written(dir('berth'));
  seen['limited pod'] = files.written(dir(limitedPath));
  files.lines.push(dumpLines('parent-during', dir('berth'), ['cpu.max', 'memory.max']), dumpLines('limited', dir(limitedPath), ['cpu.max', 'memory.max']));

  const otherPath = await pods.create('', otherPod, { resources: null, overhead: null });
  containerPath = placement.path(parentless(otherPath), 'c0ffee');
  await cgroups.create(containerPath);
  await cgroups.apply(containerPath, { cpuQuotaUs: 50_000, cpuPeriodUs: 100_000 });
  const container = dir(containerPath);
  files.lines.push(
    `sh -c 'echo $$ > ${container}/cgroup.procs; while :; do :; done' &`,
    'busy=$!',
    'sleep 0.3',
    `echo "cpu-uptime-start $(cut -d" " -f1 /proc/uptime)"`,
    dumpLines('cpu-start', container, ['cpu.stat']),
    'sleep 2',
    `echo "cpu-uptime-end $(cut -d" " -f1 /proc/uptime)"`,
    dumpLines('cpu-end', container, ['cpu.stat']),
    'kill -9 $busy; sleep 0.3',
  );

  await cgroups.remove(containerPath);
  await pods.remove(otherPath);
  await pods.remove(limitedPath);
  seen['parent after removal'] = files.written(dir('berth'));
  files.lines.push(`[ -d ${dir(limitedPath)} ] && echo "limited-pod present" || echo "limited-pod absent"`, dumpLines('parent-after', dir('berth'), ['cpu.max', 'memory.max']));
  guest = await runInV2Guest(files.lines.join('\n'));
}, guestTimeLimitMs());

const dumps = () => parseDumps(guest.output);
const trimmed = (label: string): Record<string, string> => Object.fromEntries(Object.entries(dumps().get(label) ?? {}).map(([file, text]) => [file, text.trim()]));

describe('pod-level limits of a pod without a cgroup_parent (cgroup v2)', () => {
  it('are written to the pod\'s own cgroup below "berth", never to "berth" (berth\'s writes, in memory)', () => {
    expect(limitedPath).toBe(`berth/pod-${limitedPod}`);
    expect(seen['limited pod']).toEqual({ 'cpu.max': '20000 100000', 'memory.max': String(100 * MiB) });
    expect(seen['parent at start']).toEqual({ 'cpu.max': 'max', 'cpu.weight': '100', 'memory.max': 'max' });
    expect(seen['parent after the limited pod']).toEqual(seen['parent at start']);
    expect(containerPath).toBe(`berth/pod-${otherPod}/berth-c0ffee`);
    expect(seen['parent after removal']).toEqual(seen['parent at start']);
  });

  it('the v2 kernel accepts every mkdir, write and rmdir berth made', () => {
    expect(guest.exitCode, guest.console).toBe(0);
    expect(guest.output.split('\n').filter((line) => /-failed /.test(line))).toEqual([]);
  });

  it('limits an earlier berth left on "berth" are gone once berth starts', () => {
    expect(trimmed('parent-cleared')).toEqual({ 'cpu.max': 'max 100000', 'cpu.weight': '100', 'memory.max': 'max' });
  });

  it('the kernel holds the limits on the pod\'s cgroup and none on "berth"', () => {
    expect(trimmed('limited')).toEqual({ 'cpu.max': '20000 100000', 'memory.max': String(100 * MiB) });
    expect(trimmed('parent-during')).toEqual({ 'cpu.max': 'max 100000', 'memory.max': 'max' });
  });

  it("another parentless pod's container gets its own 0.5 CPU, not the limited pod's 0.2", () => {
    const value = (key: string): number =>
      Number(
        /^(\S+) (\S+)$/m.exec(
          guest.output
            .split('\n')
            .filter((l) => l.startsWith(`${key} `))
            .join('\n'),
        )?.[2],
      );
    const start = statsFromV2(dumps().get('cpu-start') ?? {}).cpu;
    const end = statsFromV2(dumps().get('cpu-end') ?? {}).cpu;
    const cpus = ((end?.usageNanos ?? 0) - (start?.usageNanos ?? 0)) / 1e9 / (value('cpu-uptime-end') - value('cpu-uptime-start'));
    expect(cpus).toBeGreaterThan(0.35);
    expect(cpus).toBeLessThan(0.65);
  });

  it('the pod\'s cgroup goes with the pod and "berth" still has no limits', () => {
    expect(guest.output).toContain('limited-pod absent');
    expect(trimmed('parent-after')).toEqual({ 'cpu.max': 'max 100000', 'memory.max': 'max' });
  });
});
