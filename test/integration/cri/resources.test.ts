// Resource limits of containers through the CRI, enforced by the kernel and read back from it:
// a memory hog OOM-killed and reported so, a CPU hog held to its quota, a live memory-limit
// update landing in the cgroup, and stats from the real counters. This host is hybrid (cgroup
// v1 controllers); the pure v2 proof of the same limits is test/integration/cgroups/v2-guest-limits.
import { execa } from 'execa';
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CriClient } from '../../../cri/client/cri-client.js';
import type { ContainerConfig, PodSandboxConfig } from '../../../api/cri/messages.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { removeTestCgroupParents } from '../../harness/cgroups.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';

const registry = inject('registryHost');
const image = `${registry}/busybox:latest`;
const MiB = 1024 * 1024;
let berth: Berth;
let network: CniTestNetwork;
let client: CriClient;
let podId = '';
const pod: PodSandboxConfig = {
  metadata: { name: 'resources', namespace: 'default', uid: 'resources-uid', attempt: 0 },
  linux: { cgroupParent: 'berth-test-resources' },
};

beforeAll(async () => {
  network = cniTestNetwork('resources', 236);
  berth = await startBerth({ args: ['--insecure-registry', registry, '--cni-conf-dir', network.confDir, '--pids-limit', '64'] });
  client = new CriClient({ endpoint: berth.socket });
  await client.pullImage(image);
  podId = (await client.runPodSandbox(pod)).podSandboxId;
});

afterAll(async () => {
  await client?.stopPodSandbox(podId).catch(() => undefined);
  await client?.removePodSandbox(podId).catch(() => undefined);
  client?.close();
  await berth?.stop();
  await network?.remove();
  removeTestCgroupParents('berth-test-resources');
});

async function run(name: string, command: string, resources: NonNullable<ContainerConfig['linux']>): Promise<string> {
  const { containerId } = await client.createContainer(podId, { metadata: { name }, image: { image }, command: ['sh', '-c', command], linux: resources }, pod);
  await client.startContainer(containerId);
  return containerId;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The container's cgroup directory in a v1 hierarchy (memory, cpu), found by its name. */
async function cgroupDir(hierarchy: string, containerId: string): Promise<string> {
  const { stdout } = await execa('find', [`/sys/fs/cgroup/${hierarchy}`, '-type', 'd', '-name', `berth-${containerId}`]);
  const dir = stdout.split('\n').find(Boolean);
  if (!dir) throw new Error(`no ${hierarchy} cgroup for ${containerId}`);
  return dir;
}

describe('container resources through the CRI', () => {
  it('OOM-kills a container that allocates past its memory limit and reports OOMKilled', async () => {
    const id = await run('oom', 'dd if=/dev/zero of=/dev/null bs=64M', {
      resources: { memoryLimitInBytes: String(16 * MiB), memorySwapLimitInBytes: String(16 * MiB) },
    });
    const status = await waitFor('the OOM kill', async () => {
      const s = (await client.containerStatus(id)).status;
      return s?.state === 'CONTAINER_EXITED' ? s : undefined;
    });
    expect(status).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
  });

  it("holds each container to the runtime's --pids-limit: forks past it fail, as the kernel counts", async () => {
    const id = await run('forks', 'i=0; while [ $i -lt 100 ]; do sleep 60 & i=$((i+1)); done 2>/dev/null; sleep 60', {});
    const dir = await cgroupDir('pids', id);
    expect(readFileSync(`${dir}/pids.max`, 'utf8').trim()).toBe('64');
    const refused = await waitFor('a refused fork', async () => {
      const failed = Number(/^max (\d+)/m.exec(readFileSync(`${dir}/pids.events`, 'utf8'))?.[1] ?? '0');
      return failed > 0 ? failed : undefined;
    });
    expect(refused).toBeGreaterThan(0);
    expect(Number(readFileSync(`${dir}/pids.current`, 'utf8').trim())).toBeLessThanOrEqual(64);
    await client.stopContainer(id, 0);
  });

  it('holds a busy loop to its 0.2-CPU quota, as its own CPU counter shows', async () => {
    const id = await run('cpu', 'while :; do :; done', { resources: { cpuQuota: '20000', cpuPeriod: '100000' } });
    const usage = async (): Promise<{ cpuNanos: number; at: number }> => {
      const stats = (await client.containerStats(id)).stats;
      return { cpuNanos: Number(stats?.cpu?.usageCoreNanoSeconds?.value ?? 0), at: Number(stats?.cpu?.timestamp ?? 0) };
    };
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = await usage();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const after = await usage();
    const cores = (after.cpuNanos - before.cpuNanos) / (after.at - before.at);
    expect(cores).toBeGreaterThan(0.1);
    expect(cores).toBeLessThan(0.3);
    const throttled = /^nr_throttled (\d+)$/m.exec(readFileSync(`${await cgroupDir('cpu', id)}/cpu.stat`, 'utf8'))?.[1];
    expect(Number(throttled)).toBeGreaterThan(0);
  });

  it('changes the memory limit of a running container live', async () => {
    const id = await run('update', 'sleep 600', { resources: { memoryLimitInBytes: String(64 * MiB) } });
    const limitFile = `${await cgroupDir('memory', id)}/memory.limit_in_bytes`;
    expect(Number(readFileSync(limitFile, 'utf8'))).toBe(64 * MiB);
    await client.updateContainerResources(id, { memoryLimitInBytes: String(32 * MiB) });
    expect(Number(readFileSync(limitFile, 'utf8'))).toBe(32 * MiB);
    const status = await client.containerStatus(id);
    expect(status.status?.state).toBe('CONTAINER_RUNNING');
  });

  it("runs a container given the upstream kubelet's hugepage limits (one per page size of the host), its memory limit applied", async () => {
    // What the kubelet sends: every size in /sys/kernel/mm/hugepages, limit 0 unless the pod asks.
    // On this hybrid host hugetlb is in cgroup2 only, where runc's v1 manager cannot set it:
    // berth leaves them out instead of failing every container.
    const hugepageLimits = readdirSync('/sys/kernel/mm/hugepages').map((entry) => {
      const kib = Number(/^hugepages-(\d+)kB$/.exec(entry)?.[1]);
      return { pageSize: kib >= 1024 * 1024 ? `${kib / (1024 * 1024)}GB` : `${kib / 1024}MB`, limit: '0' };
    });
    const id = await run('hugepages', 'sleep 600', { resources: { memoryLimitInBytes: String(48 * MiB), hugepageLimits } });
    expect((await client.containerStatus(id)).status?.state).toBe('CONTAINER_RUNNING');
    expect(Number(readFileSync(`${await cgroupDir('memory', id)}/memory.limit_in_bytes`, 'utf8'))).toBe(48 * MiB);
  });

  it('reports memory and writable-layer usage from the real counters', async () => {
    const id = await run('writer', 'dd if=/dev/zero of=/data bs=1M count=8 && sleep 600', {});
    const stats = await waitFor('8 MiB in the writable layer', async () => {
      const s = (await client.containerStats(id)).stats;
      return s && Number(s.writableLayer?.usedBytes?.value ?? 0) >= 8 * MiB ? s : undefined;
    });
    expect(Number(stats.memory?.workingSetBytes?.value)).toBeGreaterThan(0);
    expect(Number(stats.memory?.usageBytes?.value)).toBeGreaterThanOrEqual(Number(stats.memory?.workingSetBytes?.value));
    const listed = (await client.listContainerStats({ podSandboxId: podId })).stats.map((s) => s.attributes?.id);
    expect(listed).toContain(id);
  });

  it('reports pod stats: the containers, their sums and the pod network counters', async () => {
    const ip = (await client.podSandboxStatus(podId)).status?.network?.ip ?? '';
    // Debian's busybox-static (one of the test world's packages) has ping; the host may not.
    await execa('busybox', ['ping', '-c', '3', '-W', '2', ip]);
    const stats = (await client.podSandboxStats(podId)).stats;
    expect(stats?.attributes?.id).toBe(podId);
    const eth0 = stats?.linux?.network?.defaultInterface;
    expect(eth0?.name).toBe('eth0');
    expect(Number(eth0?.rxBytes?.value)).toBeGreaterThan(3 * 84);
    expect(Number(eth0?.txBytes?.value)).toBeGreaterThan(3 * 84);
    const containers = stats?.linux?.containers ?? [];
    expect(containers.length).toBeGreaterThanOrEqual(3);
    const working = containers.reduce((total, c) => total + Number(c.memory?.workingSetBytes?.value ?? 0), 0);
    expect(Number(stats?.linux?.memory?.workingSetBytes?.value)).toBe(working);
    const listed = (await client.listPodSandboxStats({ labelSelector: {} })).stats.map((s) => s.attributes?.id);
    expect(listed).toContain(podId);
  });
});
