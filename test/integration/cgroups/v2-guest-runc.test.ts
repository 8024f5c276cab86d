// berth's container limits on a real pure cgroup v2 kernel, the way berth applies them: the
// config.json berth's spec builder makes from a CRI ContainerConfig, run by the real runc (the
// host's binary and libraries, copied into the qemu guest), below a pod cgroup written with
// berth's own v2 mapping, as the runtime's pod cgroup port writes it; live updates written with
// that same mapping, as UpdateContainerResources writes them. Node cannot run in the guest, so the
// daemon itself does not; every file and process here is the kernel's and runc's own.
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LinuxContainerResources__Output } from '../../../api/cri/messages.js';
import type { Limits } from '../../../runtime/cgroups/limits.js';
import { limitsFromCri, podLimitsFromCri } from '../../../runtime/containers/cri-limits.js';
import { oomEventsFromV2, statsFromV2 } from '../../../runtime/cgroups/stats.js';
import { limitsToV2Files } from '../../../runtime/cgroups/v2-files.js';
import { buildContainerSpec } from '../../../runtime/oci/spec/build-container-spec.js';
import { guestTimeLimitMs, runInV2Guest, type GuestFile, type GuestResult } from '../../harness/v2-guest.js';
import { containerConfig, namespaceOptions, resources, sandboxConfig, sandboxSecurityContext, securityContext, specInput } from '../../unit/oci-spec/fixtures.js';
import { applyLines, dumpLines, holdMemory, parseDumps, waitUntil } from './v2-guest-script.js';

const mib = 1 << 20;
const podDir = '/sys/fs/cgroup/kubepods/burstable/podguest';
const podPidsLimit = 12;

// The pod as the kubelet sizes it: 24 MiB for the containers that set no limit of their own.
const podResources = resources({ cpuShares: '1024', memoryLimitInBytes: String(24 * mib), memorySwapLimitInBytes: String(24 * mib) });
const podLimits = podLimitsFromCri({ resources: podResources, overhead: null });

interface GuestContainer {
  name: string;
  command: string;
  resources: LinuxContainerResources__Output;
}

const containers: GuestContainer[] = [
  {
    name: 'limits',
    command: 'while :; do :; done',
    resources: resources({
      cpuShares: '512',
      cpuQuota: '20000',
      cpuPeriod: '100000',
      cpusetCpus: '0',
      memoryLimitInBytes: String(32 * mib),
      unified: { 'memory.high': String(30 * mib) },
    }),
  },
  // tail keeps a newline-less input in memory until it ends.
  { name: 'oom', command: 'head -c 48m /dev/zero | tail >/dev/null; echo "tail-exit $?"', resources: resources({ memoryLimitInBytes: String(16 * mib) }) },
  { name: 'podoom', command: 'head -c 48m /dev/zero | tail >/dev/null; echo "tail-exit $?"', resources: resources() },
  { name: 'forks', command: 'i=0; while [ $i -lt 50 ]; do sleep 60 >/dev/null 2>&1 & i=$((i+1)); done; echo loop-finished; sleep 60', resources: resources() },
  { name: 'hold', command: holdMemory(17), resources: resources({ memoryLimitInBytes: String(64 * mib) }) },
];

function configJson(container: GuestContainer): string {
  // The pod shares the guest's network and IPC: nothing to pin in a guest without berth.
  const hostNetwork = namespaceOptions({ network: 'NODE', ipc: 'NODE' });
  const input = specInput({
    containerId: container.name,
    rootfsPath: '/rootfs',
    cgroupsPath: `/kubepods/burstable/podguest/${container.name}`,
    config: containerConfig({
      metadata: { name: container.name, attempt: 0 },
      command: ['sh', '-c', container.command],
      linux: {
        resources: container.resources,
        securityContext: securityContext({
          namespaceOptions: hostNetwork,
          seccomp: { profileType: 'RuntimeDefault', localhostRef: '' },
        }),
      },
    }),
    host: { cgroupV2: true, swapLimitSupported: true, daemonOomScoreAdj: 0, architecture: 'amd64' },
  });
  const podConfig = sandboxConfig();
  const sandbox = {
    ...input.sandbox,
    config: { ...podConfig, linux: podConfig.linux && { ...podConfig.linux, securityContext: sandboxSecurityContext({ namespaceOptions: hostNetwork }) } },
    namespaces: {},
    files: { hostsPath: '/pod/hosts', resolvConfPath: '/pod/resolv.conf', hostnamePath: '/pod/hostname', shmPath: '/pod/shm' },
    pidsLimit: podPidsLimit,
  };
  return JSON.stringify(buildContainerSpec({ ...input, sandbox }).spec);
}

/** What berth's own writer would write for a container's limits: runc must agree with it. */
function berthFiles(container: GuestContainer): Limits {
  return limitsFromCri(container.resources, { pidsMax: podPidsLimit });
}

/** runc and the libraries it loads, from the host, at the same paths in the guest. */
async function runcFiles(): Promise<GuestFile[]> {
  const runc = (await execa('sh', ['-c', 'command -v runc'])).stdout.trim();
  const libraries = [...(await execa('ldd', [runc])).stdout.matchAll(/(\/\S+\.so[.\d]*)/g)].map((match) => match[1] ?? '');
  return [runc, ...new Set(libraries)].map((path) => ({ path, hostPath: path, mode: 0o755 }));
}

const runc = 'runc --root /run/runc';
const guestScriptMs = 240_000;
const dir = (name: string): string => `${podDir}/${name}`;

const script = `
export PATH=/usr/sbin:/usr/bin:/bin
mkdir -p /rootfs/bin /rootfs/proc /rootfs/sys /rootfs/dev /rootfs/etc /pod/shm /run/runc
cp /bin/busybox /rootfs/bin/busybox
for applet in $(busybox --list); do [ "$applet" = busybox ] || ln -s busybox /rootfs/bin/$applet; done
echo 127.0.0.1 localhost > /pod/hosts; : > /pod/resolv.conf; echo guest > /pod/hostname

for d in /sys/fs/cgroup /sys/fs/cgroup/kubepods /sys/fs/cgroup/kubepods/burstable; do
  mkdir -p $d; echo '+cpuset +cpu +memory +pids +hugetlb' > $d/cgroup.subtree_control
done
mkdir ${podDir}
${applyLines(podDir, podLimits)}
echo '+cpuset +cpu +memory +pids +hugetlb' > ${podDir}/cgroup.subtree_control

stopped() { ${runc} state $1 2>/dev/null | grep -q '"status": "stopped"'; }
start() { ${runc} run -d -b /bundles/$1 $1 > /tmp/$1.out 2>&1 < /dev/null || echo "run-failed $1 $(cat /tmp/$1.out)"; }

start limits
sleep 0.3
for file in ${limitsToV2Files(berthFiles(containers[0] as GuestContainer))
  .map(([file]) => file)
  .join(' ')}; do
  echo "readback limits $file $(cat ${dir('limits')}/$file)"
done
echo "limits-uptime-0 $(cut -d" " -f1 /proc/uptime)"
${dumpLines('limits-0', dir('limits'), ['cpu.stat'])}
sleep 2
echo "limits-uptime-1 $(cut -d" " -f1 /proc/uptime)"
${dumpLines('limits-1', dir('limits'), ['cpu.stat'])}
${applyLines(dir('limits'), { cpuQuotaUs: 50_000, cpuPeriodUs: 100_000 })}
sleep 0.3
echo "limits-uptime-2 $(cut -d" " -f1 /proc/uptime)"
${dumpLines('limits-2', dir('limits'), ['cpu.stat'])}
sleep 2
echo "limits-uptime-3 $(cut -d" " -f1 /proc/uptime)"
${dumpLines('limits-3', dir('limits'), ['cpu.stat', 'cpu.max'])}
${runc} kill limits KILL

for name in oom podoom; do
  start $name
  ${waitUntil('stopped $name')}
  echo "$name-output $(cat /tmp/$name.out | tr '\\n' ' ')"
done
${dumpLines('oom', dir('oom'), ['memory.events', 'memory.max'])}
${dumpLines('podoom', podDir, ['memory.events', 'memory.max'])}

start forks
${waitUntil(`grep -q 'max [1-9]' ${dir('forks')}/pids.events`)}
sleep 1
echo "forks-output $(cat /tmp/forks.out | tr '\\n' ' ')"
${dumpLines('forks', dir('forks'), ['pids.current', 'pids.events', 'pids.max'])}
echo "guest-forks $(sh -c 'echo ok')"
${runc} kill forks KILL

start hold
${waitUntil('grep -q held /tmp/hold.out')}
echo "hold-output $(cat /tmp/hold.out)"
${dumpLines('hold-before', dir('hold'), ['memory.current', 'memory.stat'])}
${applyLines(dir('hold'), { memoryBytes: 8 * mib, memorySwapBytes: 8 * mib })}
${waitUntil(`grep -q 'oom_kill [1-9]' ${dir('hold')}/memory.events`)}
${dumpLines('hold-after', dir('hold'), ['memory.events', 'memory.max'])}
echo "hold-state $(${runc} state hold | grep '"status"')"

for name in limits oom podoom forks hold; do
  ${waitUntil('stopped $name')}
  ${runc} delete -f $name || echo "delete-failed $name"
done
echo "pod-children $(find ${podDir} -mindepth 1 -type d | wc -l)"
`;

let guest: GuestResult;
let dumps: Map<string, Record<string, string>>;

function lines(prefix: string): string[] {
  return guest.output.split('\n').filter((l) => l.startsWith(prefix));
}

function value(key: string): string {
  const line = lines(`${key} `)[0];
  if (line === undefined) throw new Error(`the guest printed no "${key}" line:\n${guest.output}`);
  return line.slice(key.length + 1);
}

function dump(label: string): Record<string, string> {
  const files = dumps.get(label);
  if (!files) throw new Error(`the guest printed no "${label}" files:\n${guest.output}`);
  return files;
}

/** CPUs used between two cpu.stat dumps, over the guest's own clock. */
function cpusBetween(from: number, to: number): number {
  const usage = (label: string): number => statsFromV2(dump(label)).cpu?.usageNanos ?? 0;
  const seconds = Number(value(`limits-uptime-${to}`)) - Number(value(`limits-uptime-${from}`));
  return (usage(`limits-${to}`) - usage(`limits-${from}`)) / 1e9 / seconds;
}

beforeAll(
  async () => {
    const bundles = containers.map((c) => ({ path: `/bundles/${c.name}/config.json`, content: configJson(c) }));
    guest = await runInV2Guest(script, { files: [...(await runcFiles()), ...bundles], timeoutMs: guestScriptMs, pivotableRoot: true });
    dumps = parseDumps(guest.output);
    // For the record (the issue's note quotes it): what the guest printed, files and effects.
    if (process.env['BERTH_GUEST_OUTPUT']) writeFileSync(process.env['BERTH_GUEST_OUTPUT'], guest.output);
  },
  guestTimeLimitMs({ timeoutMs: guestScriptMs }),
);

describe("berth's config.json run by runc on a real v2 kernel (qemu guest)", () => {
  it('starts every container', () => {
    expect(lines('run-failed')).toEqual([]);
  });

  it('gets the same v2 files from runc as berth itself writes for those limits', () => {
    const expected = limitsToV2Files(berthFiles(containers[0] as GuestContainer)).map(([file, v]) => `readback limits ${file} ${v}`);
    expect(lines('readback limits ')).toEqual(expected);
    expect(expected).toEqual(
      expect.arrayContaining([
        'readback limits cpu.weight 20',
        'readback limits cpu.max 20000 100000',
        `readback limits memory.max ${32 * mib}`,
        `readback limits memory.high ${30 * mib}`,
        `readback limits pids.max ${podPidsLimit}`,
      ]),
    );
  });

  it('throttles the busy container to about 0.2 CPU, then to about 0.5 after a live cpu.max update', () => {
    const before = cpusBetween(0, 1);
    expect(before).toBeGreaterThan(0.1);
    expect(before).toBeLessThan(0.35);
    const after = cpusBetween(2, 3);
    expect(after).toBeGreaterThan(0.35);
    expect(after).toBeLessThan(0.7);
    expect(dump('limits-3')['cpu.max']?.trim()).toBe('50000 100000');
    expect(statsFromV2(dump('limits-1')).cpu?.throttledPeriods ?? 0).toBeGreaterThan(0);
  });

  it("OOM-kills past the container's own memory limit and counts it in its memory.events", () => {
    expect(value('oom-output')).toContain('tail-exit 137');
    expect(dump('oom')['memory.max']?.trim()).toBe(String(16 * mib));
    expect(oomEventsFromV2(dump('oom')['memory.events']).oomKills).toBeGreaterThanOrEqual(1);
  });

  it("OOM-kills past the pod cgroup's limit a container that has none of its own", () => {
    expect(value('podoom-output')).toContain('tail-exit 137');
    expect(dump('podoom')['memory.max']?.trim()).toBe(String(24 * mib));
    expect(oomEventsFromV2(dump('podoom')['memory.events']).oomKills).toBeGreaterThanOrEqual(1);
  });

  it("stops a fork loop at the pod's pids limit while the guest still forks", () => {
    expect(value('forks-output')).not.toContain('loop-finished');
    expect(dump('forks')['pids.max']?.trim()).toBe(String(podPidsLimit));
    expect(statsFromV2(dump('forks')).pids?.current).toBeLessThanOrEqual(podPidsLimit);
    expect(dump('forks')['pids.events']).toMatch(/^max [1-9]/);
    expect(value('guest-forks')).toBe('ok');
  });

  it('OOM-kills a running container when its memory limit is lowered below its usage', () => {
    expect(value('hold-output')).toBe('held');
    expect(statsFromV2(dump('hold-before')).memory?.usageBytes).toBeGreaterThanOrEqual(16 * mib);
    expect(dump('hold-after')['memory.max']?.trim()).toBe(String(8 * mib));
    expect(oomEventsFromV2(dump('hold-after')['memory.events']).oomKills).toBeGreaterThanOrEqual(1);
  });

  it('leaves no container cgroup below the pod once runc deleted the containers', () => {
    expect(lines('delete-failed')).toEqual([]);
    expect(value('pod-children')).toBe('0');
  });
});
