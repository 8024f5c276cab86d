// One pod's limits never land on other pods, proven on this hybrid host's cgroup v1 hierarchies
// with the real crictl, berth run, runc and conmon, as a new user would meet it: a pod sandbox
// with pod-level resources and no cgroup_parent. Its limits go to a cgroup of that pod alone
// (berth/pod-<sandbox id>), which goes with the pod; the shared parent "berth", where every
// parentless pod lives, keeps none, so a later `berth run --cpus 0.5` (a child quota above the
// pod's, which v1 refuses with EINVAL below a parent quota) still starts. The cgroup v2 side of
// the same rule is in test/integration/cgroups/v2-pod-limits-isolation.test.ts.
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../common/package-root.js';
import { berthFixture } from '../../harness/berth-fixture.js';

const MiB = 1024 * 1024;
const fixture = berthFixture('podlimits', 154, async ({ berth }) => {
  await berth.crictl('pull', image);
});
const image = `${fixture.registry}/busybox:latest`;

/** This process's cgroup in a v1 hierarchy: berth runs below it and anchors its cgroups there. */
function ownCgroup(hierarchy: string): string {
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[1]?.split(',').includes(hierarchy));
  return line?.split(':')[2] ?? '/';
}

/** The directory of berth cgroup path `path` in a v1 hierarchy. */
const dirOf = (hierarchy: string, path: string): string => join('/sys/fs/cgroup', hierarchy, ownCgroup(hierarchy), path);
const read = (hierarchy: string, path: string, file: string): string => readFileSync(join(dirOf(hierarchy, path), file), 'utf8').trim();
/** v1's "no memory limit" (PAGE_COUNTER_MAX pages, rounded to the page), far above any host's memory. */
const unlimitedMemory = (value: string): boolean => BigInt(value) > BigInt(1 << 30) * 1024n * 1024n;

describe('pod-level limits of a pod without a cgroup_parent (cgroup v1)', () => {
  let podId = '';

  it('go to a cgroup of the pod alone, never to the shared parent "berth"', async () => {
    const { berth, writeJson } = fixture;
    const pod = writeJson('limited-pod.json', {
      metadata: { name: 'limited', namespace: 'default', uid: 'limited-uid', attempt: 0 },
      linux: { resources: { cpu_period: 100000, cpu_quota: 20000, memory_limit_in_bytes: 100 * MiB } },
    });
    podId = (await berth.crictl('runp', pod)).trim();
    expect(read('cpu', `berth/pod-${podId}`, 'cpu.cfs_quota_us')).toBe('20000');
    expect(Number(read('memory', `berth/pod-${podId}`, 'memory.limit_in_bytes'))).toBe(100 * MiB);
    expect(read('cpu', 'berth', 'cpu.cfs_quota_us')).toBe('-1');
    expect(unlimitedMemory(read('memory', 'berth', 'memory.limit_in_bytes'))).toBe(true);

    const container = writeJson('limited-ctr.json', { metadata: { name: 'sleeper' }, image: { image }, command: ['sleep', '600'], linux: {} });
    const containerId = (await berth.crictl('create', podId, container, pod)).trim();
    await berth.crictl('start', containerId);
    // Its container sits below the pod's cgroup, so the pod's limits bound it.
    expect(existsSync(dirOf('cpu', `berth/pod-${podId}/berth-${containerId}`))).toBe(true);
    expect(existsSync(dirOf('memory', `berth/pod-${podId}/berth-${containerId}`))).toBe(true);
  });

  it('leave another pod free to run a container with a larger quota (berth run --cpus 0.5)', async () => {
    const { berth } = fixture;
    const run = await execa(process.execPath, [join(packageRoot(), 'bin/berth.js'), 'run', '--rm', '--cpus', '0.5', image, 'echo', 'ran'], {
      env: { CONTAINER_RUNTIME_ENDPOINT: `unix://${berth.socket}` },
      reject: false,
      stdin: 'ignore',
      timeout: 120_000,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('ran');
  });

  it('go with the pod, and the shared parent still has none', async () => {
    const { berth } = fixture;
    await berth.crictl('stopp', podId);
    await berth.crictl('rmp', podId);
    for (const hierarchy of ['cpu', 'memory', 'pids']) expect(existsSync(dirOf(hierarchy, `berth/pod-${podId}`))).toBe(false);
    expect(read('cpu', 'berth', 'cpu.cfs_quota_us')).toBe('-1');
    expect(unlimitedMemory(read('memory', 'berth', 'memory.limit_in_bytes'))).toBe(true);
  });
});
