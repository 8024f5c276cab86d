import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { RestartBackoff } from '../../../kubelet/backoff.js';
import type { NodeAllocatable } from '../../../kubelet/admission.js';
import { SyncLoop } from '../../../kubelet/sync-loop.js';
import type { PodStatusSink } from '../../../kubelet/status-manager.js';
import { RecordingCri } from './recording-cri.js';

const noStatus: PodStatusSink = {
  setPodStatus: (_pod: V1Pod, _status: V1PodStatus) => undefined,
  lastStatus: () => undefined,
  podTerminated: async () => undefined,
  forget: () => undefined,
};

const pod = (name: string, extra: Partial<NonNullable<V1Pod['metadata']>> = {}): V1Pod => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, ...extra },
  spec: { terminationGracePeriodSeconds: 5, containers: [{ name: 'main', image: 'registry.test/app:1' }] },
});

const loops: SyncLoop[] = [];
afterEach(async () => {
  for (const loop of loops.splice(0)) await loop.stop();
});

function setup(sources: ('api' | 'file')[] = ['api', 'file'], allocatable?: NodeAllocatable, status: PodStatusSink = noStatus) {
  const cri = new RecordingCri();
  const loop = new SyncLoop({
    logger: silentLogger(),
    sources,
    ...(allocatable ? { allocatable } : {}),
    workerDeps: {
      cri: cri.port(),
      config: { podLogsDir: '/var/log/pods', cgroupParent: '/kubepods', clusterDns: [], clusterDomain: 'cluster.local', rootDir: '/var/lib/kubelet', nodeIp: '192.0.2.10', volumeRefreshMs: 60_000 },
      runtimeName: 'fake',
      backoff: new RestartBackoff(),
      status,
      dirs: {
        ensureDir: async () => undefined,
        removeDir: async () => undefined,
        prepareVolumes: async () => new Map(),
        containerMounts: async () => [],
        removeVolumes: async () => undefined,
        writeHostsFile: async () => '/etc-hosts',
        terminationMessageFile: async () => '/termination-log',
      },
      logger: silentLogger(),
      now: () => cri.nowMs,
    },
  });
  loops.push(loop);
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) for (const uid of loop.desiredPods().keys()) await loop.worker(uid)?.idle();
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { cri, loop, settle };
}

describe('sync loop', () => {
  it('admits pods oldest first and fails the one that does not fit, which never runs', async () => {
    const statuses = new Map<string, V1PodStatus>();
    const recording: PodStatusSink = { ...noStatus, setPodStatus: (p, status) => void statuses.set(p.metadata?.name ?? '', status) };
    const { cri, loop, settle } = setup(['api'], { cpuMilli: 1000, memoryBytes: 2 ** 30, pods: 110, labels: {}, taints: [] }, recording);
    const wanting = (name: string, cpu: string, created: string): V1Pod => {
      const p = pod(name, { creationTimestamp: new Date(created) });
      p.spec!.containers[0]!.resources = { requests: { cpu } };
      return p;
    };
    loop.setSourcePods('api', [wanting('late', '600m', '2026-12-04T10:00:02Z'), wanting('early', '600m', '2026-12-04T10:00:01Z')]);
    await settle();
    expect([...cri.sandboxes.values()].map((s) => s.config.metadata?.name)).toEqual(['early']);
    expect(statuses.get('late')).toMatchObject({ phase: 'Failed', reason: 'OutOfcpu', message: "Node didn't have enough resource: cpu, requested: 600, used: 600, capacity: 1000" });
    expect(loop.worker('uid-late')?.admitted).toBe(false);
  });

  it('runs the pods of every source as one desired set', async () => {
    const { cri, loop, settle } = setup();
    loop.setSourcePods('api', [pod('a')]);
    loop.setSourcePods('file', [pod('b')]);
    await settle();
    expect([...cri.sandboxes.values()].map((s) => s.config.metadata?.name).sort()).toEqual(['a', 'b']);
  });

  it('does not run mirror pods from the API: they are copies of static pods', async () => {
    const { cri, loop, settle } = setup();
    loop.setSourcePods('api', [pod('mirror', { annotations: { 'kubernetes.io/config.mirror': 'hash' } })]);
    await settle();
    expect(cri.sandboxes.size).toBe(0);
  });

  it('terminates and removes a pod that leaves its source', async () => {
    const { cri, loop, settle } = setup();
    loop.setSourcePods('file', [pod('a')]);
    await settle();
    const worker = loop.worker('uid-a');
    loop.setSourcePods('file', []);
    await worker?.idle();
    expect(worker?.state).toBe('cleanedUp');
    expect(cri.calls).toContain('stopContainer main grace=5');
    expect(cri.sandboxes.size + cri.containers.size).toBe(0);
    expect(loop.worker('uid-a')).toBeUndefined();
  });

  it('cleans up runtime pods that no source wants, but only once every source has reported', async () => {
    const { cri, loop, settle } = setup(['api', 'file']);
    loop.setSourcePods('file', [pod('kept')]);
    await settle();
    await cri.port().runPodSandbox({ metadata: { name: 'stray', namespace: 'default', uid: 'uid-stray', attempt: 0 }, labels: { 'io.kubernetes.pod.uid': 'uid-stray' } });
    const runtimePods = new Map([['uid-stray', [{ id: 'x', attempt: 0, ready: true, createdAtMs: 0, ip: '', name: 'stray', namespace: 'default' }]]]);
    loop.housekeeping(runtimePods);
    expect(loop.worker('uid-stray')).toBeUndefined();

    loop.setSourcePods('api', []);
    loop.housekeeping(runtimePods);
    await loop.worker('uid-stray')?.idle();
    expect([...cri.sandboxes.values()].map((s) => s.config.metadata?.name)).toEqual(['kept']);
  });
});
