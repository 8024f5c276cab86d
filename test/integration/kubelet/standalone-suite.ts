// The standalone kubelet suite (no API server), run once per CRI runtime: static pods from a
// manifest directory, run through the runtime's CRI socket with the real CNI bridge plugin and the
// seeded registry.
import { execa } from 'execa';
import { mkdtempSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ownMemoryCgroup, removeCgroupPath } from '../../../bench/cgroups.js';
import { createLogger } from '../../../common/logger.js';
import { CriClient } from '../../../cri/client/cri-client.js';
import type { KubeletConfig } from '../../../kubelet/config.js';
import { startKubelet, type Kubelet } from '../../../kubelet/kubelet.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';
import { standaloneKubeletConfig, type SuiteRuntime, type SuiteRuntimeKind } from './suite-runtimes.js';
import { eventually } from '../../harness/eventually.js';

function manifest(registryHost: string, name: string, command: string[]): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: `${registryHost}/busybox:latest`, command }] },
  });
}

/** `cniOctet`: distinct per file, 200-209: the CNI test network's 10.244.<octet>.0/24. */
export function standaloneSuite(runtime: SuiteRuntimeKind, cniOctet: number): void {
  describe(`berth kubelet standalone on ${runtime.name} (real runtime, CNI and registry)`, () => {
    const registryHost = inject('registryHost');
    const since = Date.now();
    const cgroupParent = `${ownMemoryCgroup()}/berth-kubelet-standalone-${runtime.name}`;
    let work = '';
    let manifests = '';
    let network: CniTestNetwork | undefined;
    let criRuntime: SuiteRuntime | undefined;
    let cri: CriClient | undefined;
    let config: KubeletConfig | undefined;
    let kubelet: Kubelet | undefined;

    const runningIn = async (podName: string): Promise<{ id: string; sandbox: string }[]> =>
      ((await cri?.listContainers({ labelSelector: { 'io.kubernetes.pod.name': podName } }))?.containers ?? [])
        .filter((c) => c.state === 'CONTAINER_RUNNING')
        .map((c) => ({ id: c.id, sandbox: c.podSandboxId }));

    /** The pod's cgroup directories in the memory hierarchy, wherever the runtime anchored them. */
    const podCgroupDirs = async (uid: string): Promise<string[]> => {
      const { stdout } = await execa('find', [`/sys/fs/cgroup/memory${ownMemoryCgroup()}`, '-type', 'd', '-name', `pod${uid}`]);
      return stdout.split('\n').filter(Boolean);
    };

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'berth-kubelet-standalone-'));
      manifests = join(work, 'manifests');
      mkdirSync(manifests);
      network = cniTestNetwork(`kubelet-sa-${runtime.name}`, cniOctet);
      criRuntime = await runtime.start({ registryHost, cniConfDir: network.confDir, workDir: work });
      cri = new CriClient({ endpoint: criRuntime.endpoint });
      config = standaloneKubeletConfig({
        nodeName: 'standalone-node',
        manifests,
        runtimeEndpoint: criRuntime.endpoint,
        workDir: work,
        cgroupParent,
        kubeReserved: { cpu: '500m', memory: '1Gi' },
      });
      kubelet = await startKubelet(config, { logger: createLogger('warn') });
    });

    afterEach(() => {
      for (const name of ['sleeper.json', 'edited.json']) rmSync(join(manifests, name), { force: true });
    });

    afterAll(async () => {
      await kubelet?.stop();
      if (cri) {
        for (const sandbox of (await cri.listPodSandbox().catch(() => ({ items: [] }))).items) {
          await cri.stopPodSandbox(sandbox.id).catch(() => undefined);
          await cri.removePodSandbox(sandbox.id).catch(() => undefined);
        }
        cri.close();
      }
      await criRuntime?.stop();
      await network?.remove();
      removeCgroupPath(cgroupParent, since);
      // berth's runtime anchors the same parent below its own cgroup in the memory hierarchy.
      removeCgroupPath(`${ownMemoryCgroup()}${cgroupParent}`, since);
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('runs a static pod from the manifest directory with its log under the pod log directory', async () => {
      writeFileSync(join(manifests, 'sleeper.json'), manifest(registryHost, 'sleeper', ['sh', '-c', 'echo hello from berth; sleep 3600']));
      const [running] = await eventually(async () => ((await runningIn('sleeper-standalone-node')).length === 1 ? runningIn('sleeper-standalone-node') : undefined));
      const status = await cri?.containerStatus(running?.id ?? '');
      const logPath = status?.status?.logPath ?? '';
      expect(logPath).toMatch(new RegExp(`^${work}/pods/default_sleeper-standalone-node_[0-9a-f]{32}/main/0\\.log$`));
      // CRI log format: <RFC3339Nano> <stream> <P|F> <message>
      const line = await eventually(async () => (await readFile(logPath, 'utf8')).split('\n').find((l) => l.endsWith('hello from berth')));
      expect(line).toMatch(/^\S+ stdout F hello from berth$/);
      const sandbox = await cri?.podSandboxStatus(running?.sandbox ?? '');
      expect(sandbox?.status?.network?.ip).toMatch(network?.ipPattern ?? /never/);
      expect(sandbox?.status?.labels?.['io.kubernetes.pod.namespace']).toBe('default');
    });

    it('stops and removes a static pod whose manifest is removed', async () => {
      writeFileSync(join(manifests, 'sleeper.json'), manifest(registryHost, 'sleeper', ['sleep', '3600']));
      const [running] = await eventually(async () => ((await runningIn('sleeper-standalone-node')).length === 1 ? runningIn('sleeper-standalone-node') : undefined));
      const uid = (await cri?.podSandboxStatus(running?.sandbox ?? ''))?.status?.metadata?.uid ?? '';
      // The container runs in its pod's cgroup, in the kubelet's QoS layout.
      expect(await podCgroupDirs(uid)).toEqual([expect.stringMatching(new RegExp(`/besteffort/pod${uid}$`))]);
      unlinkSync(join(manifests, 'sleeper.json'));
      await eventually(async () => {
        const sandboxes = await cri?.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.name': 'sleeper-standalone-node' } });
        return sandboxes?.items.length === 0 ? true : undefined;
      });
      expect((await cri?.listContainers({ labelSelector: { 'io.kubernetes.pod.name': 'sleeper-standalone-node' } }))?.containers).toEqual([]);
      const logDirs = await eventually(async () => {
        const left = (await readdir(join(work, 'pods'))).filter((d) => d.startsWith('default_sleeper-standalone-node_'));
        return left.length === 0 ? left : undefined;
      });
      expect(logDirs).toEqual([]);
      expect(await podCgroupDirs(uid)).toEqual([]);
    });

    it("runs a container as the pod's user and groups, with its fsGroup on the emptyDir, a read-only root and no capabilities", async () => {
      const script = [
        'id',
        'touch /data/made && stat -c "data:%g:%a" /data && stat -c "made:%g" /data/made',
        'touch /rootfile 2>/dev/null || echo root-read-only',
        'grep CapEff /proc/self/status',
        'sleep 3600',
      ].join('; ');
      writeFileSync(
        join(manifests, 'secure.json'),
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'secure' },
          spec: {
            terminationGracePeriodSeconds: 1,
            securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000 },
            volumes: [{ name: 'data', emptyDir: {} }],
            containers: [
              {
                name: 'main',
                image: `${registryHost}/busybox:latest`,
                command: ['sh', '-c', script],
                volumeMounts: [{ name: 'data', mountPath: '/data' }],
                securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              },
            ],
          },
        }),
      );
      try {
        const [running] = await eventually(async () => ((await runningIn('secure-standalone-node')).length === 1 ? runningIn('secure-standalone-node') : undefined));
        const logPath = (await cri?.containerStatus(running?.id ?? ''))?.status?.logPath ?? '';
        const log = await eventually(async () => {
          const text = await readFile(logPath, 'utf8');
          return text.includes('CapEff') ? text : undefined;
        });
        expect(log).toMatch(/uid=1000 gid=3000 groups=.*\b2000\b/);
        expect(log).toContain('data:2000:2777');
        expect(log).toContain('made:2000');
        expect(log).toContain('root-read-only');
        expect(log).toMatch(/CapEff:\s+0000000000000000/);
      } finally {
        rmSync(join(manifests, 'secure.json'), { force: true });
      }
    });

    it('gives the containers the kubelet-managed /etc/hosts: the pod address with its name, then the hostAliases', async () => {
      writeFileSync(
        join(manifests, 'aliased.json'),
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'aliased' },
          spec: {
            terminationGracePeriodSeconds: 1,
            hostAliases: [{ ip: '10.1.2.3', hostnames: ['db.example', 'db'] }],
            containers: [{ name: 'main', image: `${registryHost}/busybox:latest`, command: ['sh', '-c', 'cat /etc/hosts; echo hosts-done; sleep 3600'] }],
          },
        }),
      );
      try {
        const [running] = await eventually(async () => ((await runningIn('aliased-standalone-node')).length === 1 ? runningIn('aliased-standalone-node') : undefined));
        const ip = (await cri?.podSandboxStatus(running?.sandbox ?? ''))?.status?.network?.ip ?? '';
        const logPath = (await cri?.containerStatus(running?.id ?? ''))?.status?.logPath ?? '';
        const log = await eventually(async () => {
          const text = await readFile(logPath, 'utf8');
          return text.includes('hosts-done') ? text : undefined;
        });
        expect(log).toContain('# Kubernetes-managed hosts file.');
        expect(log).toContain(`${ip}\taliased-standalone-node`);
        expect(log).toContain('10.1.2.3\tdb.example\tdb');
      } finally {
        rmSync(join(manifests, 'aliased.json'), { force: true });
      }
    });

    it('sizes the QoS tiers: burstable at its pods cpu requests, besteffort at 2 shares, the pods held to the allocatable', async () => {
      const pod = (name: string, resources: object): string =>
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name },
          spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: `${registryHost}/busybox:latest`, command: ['sleep', '3600'], resources }] },
        });
      writeFileSync(join(manifests, 'burst-a.json'), pod('burst-a', { requests: { cpu: '250m' } }));
      writeFileSync(join(manifests, 'burst-b.json'), pod('burst-b', { requests: { cpu: '500m', memory: '8Mi' } }));
      const cpuDir = `/sys/fs/cgroup/cpu${cgroupParent}`;
      const shares = async (tier: string): Promise<number> => Number(await readFile(join(cpuDir, tier, 'cpu.shares'), 'utf8'));
      try {
        for (const name of ['burst-a', 'burst-b']) await eventually(async () => ((await runningIn(`${name}-standalone-node`)).length === 1 ? true : undefined));
        // The pods' own cgroups sit below the tier the kubelet sized, on either runtime.
        const { stdout } = await execa('find', [join(cpuDir, 'burstable'), '-maxdepth', '1', '-type', 'd', '-name', 'pod*']);
        expect(stdout.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(2);
        expect(await eventually(async () => ((await shares('burstable')) === 768 ? 768 : undefined))).toBe(768);
        expect(await shares('besteffort')).toBe(2);
        expect(await shares('.')).toBe(Math.floor(((cpus().length * 1000 - 500) / 1000) * 1024));
        const limit = Number(await readFile(`/sys/fs/cgroup/memory${cgroupParent}/memory.limit_in_bytes`, 'utf8'));
        // The kernel rounds the limit down to whole pages.
        expect(Math.abs(limit - (totalmem() - 2 ** 30))).toBeLessThan(4096);

        rmSync(join(manifests, 'burst-b.json'));
        expect(await eventually(async () => ((await shares('burstable')) === 256 ? 256 : undefined))).toBe(256);
      } finally {
        for (const name of ['burst-a.json', 'burst-b.json']) rmSync(join(manifests, name), { force: true });
      }
    });

    it('replaces the pod when its manifest is edited: the new content is a new pod', async () => {
      const path = join(manifests, 'edited.json');
      writeFileSync(path, manifest(registryHost, 'edited', ['sleep', '3600']));
      const [before] = await eventually(async () => ((await runningIn('edited-standalone-node')).length === 1 ? runningIn('edited-standalone-node') : undefined));
      writeFileSync(path, manifest(registryHost, 'edited', ['sleep', '3601']));
      const [after] = await eventually(async () => {
        const running = await runningIn('edited-standalone-node');
        return running.length === 1 && running[0]?.id !== before?.id ? running : undefined;
      });
      expect(after?.sandbox).not.toBe(before?.sandbox);
      const remaining = await eventually(async () => {
        const items = (await cri?.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.name': 'edited-standalone-node' } }))?.items;
        return items?.length === 1 ? items : undefined;
      });
      expect(remaining[0]?.id).toBe(after?.sandbox);
    });

    it('restarts a crashing container and keeps its restart count in the log path', async () => {
      writeFileSync(join(manifests, 'sleeper.json'), manifest(registryHost, 'crasher', ['sh', '-c', 'exit 3']));
      const second = await eventually(async () => {
        const listed = await cri?.listContainers({ labelSelector: { 'io.kubernetes.pod.name': 'crasher-standalone-node' } });
        return listed?.containers.find((c) => c.metadata?.attempt === 1);
      });
      const status = await cri?.containerStatus(second.id);
      expect(status?.status?.logPath).toMatch(/\/main\/1\.log$/);
    });

    it('adopts the running pods after a restart of the kubelet instead of starting duplicates', async () => {
      writeFileSync(join(manifests, 'sleeper.json'), manifest(registryHost, 'sleeper', ['sleep', '3600']));
      const before = await eventually(async () => {
        const running = await runningIn('sleeper-standalone-node');
        return running.length === 1 ? running : undefined;
      });
      await kubelet?.stop();
      kubelet = await startKubelet(config!, { logger: createLogger('warn') });
      const uid = await eventually(async () => [...(kubelet?.syncLoop.desiredPods().keys() ?? [])][0]);
      await eventually(async () => (kubelet?.syncLoop.worker(uid) ? true : undefined));
      await kubelet?.syncLoop.worker(uid)?.idle();
      expect(await runningIn('sleeper-standalone-node')).toEqual(before);
      expect((await cri?.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.name': 'sleeper-standalone-node' } }))?.items).toHaveLength(1);
    });
  });
}
