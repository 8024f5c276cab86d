// The pod's own cgroup through the CRI, as the kubelet's QoS layout has it
// (<parent>/burstable/pod<uid>): the pod-level limits (resources + overhead) written there and
// enforced over containers that have none of their own, changed live by
// UpdatePodSandboxResources, and the cgroup gone with the pod. This host is hybrid (cgroup v1).
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CriClient } from '../../../cri/client/cri-client.js';
import type { PodSandboxConfig } from '../../../api/cri/messages.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { removeTestCgroupParents } from '../../harness/cgroups.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';

const registry = inject('registryHost');
const image = `${registry}/busybox:latest`;
const MiB = 1024 * 1024;
const top = 'berth-test-podcg';
const uid = 'podcg-uid';
let berth: Berth;
let network: CniTestNetwork;
let client: CriClient;
let podId = '';
let podDir: (hierarchy: string) => string;

const pod: PodSandboxConfig = {
  metadata: { name: 'podcg', namespace: 'default', uid, attempt: 0 },
  linux: {
    cgroupParent: `/${top}/burstable/pod${uid}`,
    resources: { cpuShares: '512', memoryLimitInBytes: String(24 * MiB) },
    overhead: { cpuShares: '102', memoryLimitInBytes: String(8 * MiB) },
  },
};

/** This process's cgroup in a v1 hierarchy: berth runs below it and anchors pod cgroups there. */
function ownCgroup(hierarchy: string): string {
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[1]?.split(',').includes(hierarchy));
  return line?.split(':')[2] ?? '/';
}

beforeAll(async () => {
  network = cniTestNetwork('podcg', 237);
  berth = await startBerth({ args: ['--insecure-registry', registry, '--cni-conf-dir', network.confDir] });
  client = new CriClient({ endpoint: berth.socket });
  await client.pullImage(image);
  podId = (await client.runPodSandbox(pod)).podSandboxId;
  podDir = (hierarchy) => `/sys/fs/cgroup/${hierarchy}${ownCgroup(hierarchy)}/${top}/burstable/pod${uid}`.replace('//', '/');
});

afterAll(async () => {
  await client?.stopPodSandbox(podId).catch(() => undefined);
  await client?.removePodSandbox(podId).catch(() => undefined);
  client?.close();
  await berth?.stop();
  await network?.remove();
  removeTestCgroupParents(`${top}/burstable`);
  removeTestCgroupParents(top);
});

async function run(name: string, command: string): Promise<string> {
  const { containerId } = await client.createContainer(podId, { metadata: { name }, image: { image }, command: ['sh', '-c', command] }, pod);
  await client.startContainer(containerId);
  return containerId;
}

async function exited(id: string): Promise<{ exitCode: number; reason: string }> {
  for (let i = 0; i < 300; i++) {
    const status = (await client.containerStatus(id)).status;
    if (status?.state === 'CONTAINER_EXITED') return { exitCode: status.exitCode, reason: status.reason };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`container ${id} did not exit`);
}

const read = (file: string): string => readFileSync(file, 'utf8').trim();

describe('the pod cgroup through the CRI (cgroup v1)', () => {
  it("writes the containers' sum plus the overhead on the pod's own cgroup", () => {
    expect(Number(read(`${podDir('memory')}/memory.limit_in_bytes`))).toBe(32 * MiB);
    expect(read(`${podDir('cpu')}/cpu.shares`)).toBe('614');
  });

  it('puts each container below the pod cgroup', async () => {
    const id = await run('sleeper', 'sleep 600');
    const { stdout } = await execa('find', [podDir('memory'), '-maxdepth', '1', '-type', 'd', '-name', `berth-${id}`]);
    expect(stdout.trim()).not.toBe('');
    await client.stopContainer(id, 0);
    await client.removeContainer(id);
  });

  it("OOM-kills a container with no limit of its own at the pod's limit", async () => {
    const id = await run('hog', 'dd if=/dev/zero of=/dev/null bs=64M');
    expect(await exited(id)).toEqual({ exitCode: 137, reason: 'OOMKilled' });
    expect(Number(read(`${podDir('memory')}/memory.failcnt`))).toBeGreaterThan(0);
    await client.removeContainer(id);
  });

  it("tells the OOM kill, the limit hits and the pod's limit through ListPodSandboxMetrics", async () => {
    const id = await run('hog2', 'dd if=/dev/zero of=/dev/null bs=64M');
    await exited(id);
    const declared = (await client.listMetricDescriptors()).descriptors.map((d) => d.name);
    expect(declared).toContain('container_oom_events_total');
    const pods = (await client.listPodSandboxMetrics()).podMetrics.filter((p) => p.podSandboxId === podId);
    expect(pods).toHaveLength(1);
    const value = (metrics: { name: string; value: { value: string } | null }[], name: string): number => Number(metrics.find((m) => m.name === name)?.value?.value ?? NaN);
    const hog = pods[0]?.containerMetrics.find((c) => c.containerId === id)?.metrics ?? [];
    expect(value(hog, 'container_oom_events_total')).toBeGreaterThanOrEqual(1);
    expect(hog.find((m) => m.name === 'container_oom_events_total')?.labelValues).toEqual(['hog2', `/pod${uid}/${id}`, image, id, 'default', 'podcg']);
    const podLevel = pods[0]?.metrics ?? [];
    expect(value(podLevel, 'container_spec_memory_limit_bytes')).toBe(32 * MiB);
    expect(value(podLevel, 'container_memory_failcnt')).toBeGreaterThan(0);
    expect(value(podLevel, 'container_spec_cpu_shares')).toBe(614);
    await client.removeContainer(id);
  });

  it("changes the pod's limits live (UpdatePodSandboxResources) and a container then fits", async () => {
    await client.updatePodSandboxResources(podId, { cpuShares: '1024', cpuQuota: '50000', cpuPeriod: '100000', memoryLimitInBytes: String(120 * MiB) });
    expect(Number(read(`${podDir('memory')}/memory.limit_in_bytes`))).toBe(120 * MiB);
    expect(read(`${podDir('cpu')}/cpu.cfs_quota_us`)).toBe('50000');
    expect(read(`${podDir('cpu')}/cpu.shares`)).toBe('1024');
    const id = await run('fits', 'dd if=/dev/zero of=/dev/null bs=64M count=1');
    expect(await exited(id)).toEqual({ exitCode: 0, reason: 'Completed' });
    await client.removeContainer(id);
  });

  it('refuses pod limits the kernel cannot hold, naming the field', async () => {
    await expect(client.updatePodSandboxResources(podId, { cpuQuota: '10' })).rejects.toThrow(/cpu_quota 10 is below/);
  });

  it('removes the pod cgroup with the pod and keeps the shared parent', async () => {
    await client.stopPodSandbox(podId);
    await client.removePodSandbox(podId);
    for (const hierarchy of ['memory', 'cpu', 'pids']) expect(existsSync(podDir(hierarchy))).toBe(false);
    expect(existsSync(podDir('memory').replace(`/pod${uid}`, ''))).toBe(true);
  });
});
