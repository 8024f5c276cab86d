import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { RestartBackoff } from '../../../kubelet/backoff.js';
import type { PodWorkerMetrics } from '../../../kubelet/kubelet-metrics.js';
import { canTransition, PodWorker, type PodWorkerState } from '../../../kubelet/pod-worker.js';
import type { PodStatusSink } from '../../../kubelet/status-manager.js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { CriCallError } from '../../../cri/client/cri-client.js';
import type { CriPort } from '../../../kubelet/cri-port.js';
import { Pleg } from '../../../kubelet/pleg.js';
import { PodStatusCache } from '../../../kubelet/pod-status-cache.js';
import { RecordingCri } from './recording-cri.js';

class RecordingStatus implements PodStatusSink {
  readonly statuses = new Map<string, V1PodStatus>();
  readonly terminated: string[] = [];
  setPodStatus(pod: V1Pod, status: V1PodStatus): void {
    this.statuses.set(pod.metadata?.uid ?? '', status);
  }
  lastStatus(uid: string): V1PodStatus | undefined {
    return this.statuses.get(uid);
  }
  async podTerminated(pod: V1Pod): Promise<void> {
    this.terminated.push(pod.metadata?.uid ?? '');
  }
  forget(): void {}
}

function pod(overrides: { restartPolicy?: string; pullPolicy?: string; containers?: string[] } = {}): V1Pod {
  return {
    metadata: { name: 'web', namespace: 'shop', uid: 'uid-1' },
    spec: {
      restartPolicy: overrides.restartPolicy ?? 'Always',
      terminationGracePeriodSeconds: 30,
      containers: (overrides.containers ?? ['main']).map((name) => ({ name, image: `registry.test/${name}:1`, imagePullPolicy: overrides.pullPolicy ?? 'IfNotPresent' })),
    },
  };
}

const workers: PodWorker[] = [];
/** Each worker's PLEG, sharing the pod status cache with it as in the kubelet. */
const plegs = new Map<PodWorker, Pleg>();
afterEach(() => {
  for (const w of workers.splice(0)) w.stop();
  plegs.clear();
});

function setup(desired: V1Pod, cri = new RecordingCri(), backoff = new RestartBackoff(), metrics?: PodWorkerMetrics, overrides: Partial<CriPort> = {}) {
  const status = new RecordingStatus();
  const dirs = {
    ensureDir: async (path: string) => void cri.calls.push(`ensureDir ${path}`),
    prepareVolumes: async () => new Map(),
    containerMounts: async () => [],
    removeVolumes: async () => undefined,
    terminationMessageFile: async (uid: string, container: string, attempt: number) => `/var/lib/kubelet/pods/${uid}/containers/${container}/${attempt}`,
    writeHostsFile: async () => '/var/lib/kubelet/pods/uid-1/etc-hosts',
    removeDir: async (path: string) => void cri.calls.push(`removeDir ${path}`),
  };
  const port = { ...cri.port(), ...overrides };
  const cache = new PodStatusCache(port);
  const make = (): PodWorker => {
    const worker = new PodWorker(
      { pod: desired, deleted: false },
      {
        cri: port,
        cache,
        config: { podLogsDir: '/var/log/pods', cgroupParent: '/kubepods', clusterDns: [], clusterDomain: 'cluster.local', rootDir: '/var/lib/kubelet', nodeIp: '192.0.2.10', volumeRefreshMs: 60_000 },
        runtimeName: 'fake',
        backoff,
        status,
        dirs,
        metrics,
        logger: silentLogger(),
        now: () => cri.nowMs,
      },
    );
    workers.push(worker);
    plegs.set(worker, new Pleg({ cri: port, cache, relistMs: 1_000, logger: silentLogger(), onPodsChanged: () => undefined }));
    return worker;
  };
  return { cri, status, make };
}

/** What the kubelet does on a runtime change: the PLEG relists (filling the cache), then the worker syncs. */
async function relist(worker: PodWorker): Promise<void> {
  await plegs.get(worker)?.relist();
}

async function sync(worker: PodWorker): Promise<void> {
  await relist(worker);
  worker.kick();
  await worker.idle();
}

describe('pod worker', () => {
  it('starts a new pod: sandbox, image pull, then each container in spec order', async () => {
    const { cri, status, make } = setup(pod({ containers: ['first', 'second'] }));
    const worker = make();
    await sync(worker);
    expect(cri.calls).toEqual([
      'ensureDir /var/log/pods/shop_web_uid-1',
      'runPodSandbox web attempt=0',
      'pullImage registry.test/first:1',
      'createContainer first attempt=0',
      'startContainer first',
      'pullImage registry.test/second:1',
      'createContainer second attempt=0',
      'startContainer second',
    ]);
    const reported = status.statuses.get('uid-1');
    expect(reported?.phase).toBe('Running');
    expect(reported?.podIP).toBe('10.0.0.5');
    expect(reported?.hostIP).toBe('192.0.2.10');
    expect(reported?.containerStatuses?.map((c) => c.containerID)).toEqual([expect.stringMatching(/^fake:\/\/container-/), expect.stringMatching(/^fake:\/\/container-/)]);
    expect(worker.state).toBe('syncing');
  });

  it('cancels an image pull in flight when the pod is deleted (pulls have no deadline of their own)', async () => {
    let pullSignal: AbortSignal | undefined;
    let pullStarted: () => void = () => undefined;
    const pulling = new Promise<void>((resolve) => {
      pullStarted = resolve;
    });
    const pullImage: CriPort['pullImage'] = (_image, _auth, _config, options) =>
      new Promise((_resolve, reject) => {
        pullSignal = options?.signal;
        pullStarted();
        options?.signal?.addEventListener('abort', () => reject(new CriCallError('PullImage', GrpcStatus.CANCELLED, 'Cancelled on client')));
      });
    const { make } = setup(pod(), undefined, undefined, undefined, { pullImage });
    const worker = make();
    worker.kick();
    await pulling;
    expect(pullSignal?.aborted).toBe(false);
    worker.update({ pod: pod(), deleted: true });
    expect(pullSignal?.aborted).toBe(true);
    await worker.idle();
  });

  it('reports container starts, start failures, and the pod start once, without the image pull', async () => {
    const seen: string[] = [];
    const metrics: PodWorkerMetrics = {
      containerStarted: (type) => void seen.push(`started ${type}`),
      containerRestarted: (c) => void seen.push(`restarted ${c.namespace}/${c.pod}/${c.container}`),
      containerStartFailed: (type, code) => void seen.push(`failed ${type} ${code}`),
      podStarted: (seconds) => void seen.push(`pod ${seconds}`),
      probeResult: (probe) => void seen.push(`probe ${probe.probe_type} ${probe.result}`),
    };
    const created = pod();
    created.metadata!.creationTimestamp = new Date(0);
    const cri = new RecordingCri();
    cri.nowMs = 3_000;
    const { make } = setup(created, cri, new RestartBackoff(), metrics);
    const worker = make();
    await sync(worker);
    await sync(worker);
    expect(seen).toEqual(['started container', 'pod 3']);
    seen.length = 0;
    cri.exit('main', 1);
    await sync(worker);
    expect(seen).toEqual(['started container', 'restarted shop/web/main']);

    const absent = setup(pod({ pullPolicy: 'Never' }), new RecordingCri(), new RestartBackoff(), metrics);
    seen.length = 0;
    await sync(absent.make());
    expect(seen).toEqual(['failed container ErrImagePull']);
  });

  it('adopts the sandbox and containers that a previous kubelet left running, creating no duplicates', async () => {
    const { cri, make } = setup(pod());
    await sync(make());
    const before = cri.calls.length;
    await sync(make());
    expect(cri.calls.slice(before)).toEqual([]);
    expect(cri.running()).toEqual(['main#0']);
  });

  it('restarts an exited container of an Always pod at once, then holds the next restart in CrashLoopBackOff for 10 s', async () => {
    const { cri, status, make } = setup(pod());
    const worker = make();
    await sync(worker);
    cri.exit('main', 1);
    await sync(worker);
    expect(cri.running()).toEqual(['main#1']);

    cri.nowMs += 1_000;
    cri.exit('main', 1);
    await sync(worker);
    expect(cri.running()).toEqual([]);
    const waiting = status.statuses.get('uid-1')?.containerStatuses?.[0];
    expect(waiting?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(waiting?.lastState?.terminated?.exitCode).toBe(1);
    expect(waiting?.restartCount).toBe(1);

    cri.nowMs += 10_000;
    await sync(worker);
    expect(cri.running()).toEqual(['main#2']);
  });

  it('fails a pod at its activeDeadlineSeconds, shortened while it runs: DeadlineExceeded, containers killed (upstream spec "should allow activeDeadlineSeconds to be updated")', async () => {
    const desired = pod();
    const { cri, status, make } = setup(desired);
    const worker = make();
    await sync(worker);
    expect(cri.running()).toEqual(['main#0']);
    cri.nowMs += 5_000;
    // The API lets the deadline be set or shortened on a running pod.
    worker.update({ pod: { ...desired, metadata: { ...desired.metadata, resourceVersion: '2' }, spec: { ...desired.spec!, activeDeadlineSeconds: 5 } }, deleted: false });
    await worker.idle();
    await sync(worker);
    expect(worker.state).toBe('terminated');
    expect(cri.running()).toEqual([]);
    expect(cri.calls).toContain('stopContainer main grace=30');
    const reported = status.statuses.get('uid-1');
    expect([reported?.phase, reported?.reason, reported?.message]).toEqual(['Failed', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline']);
  });

  it('leaves a pod whose activeDeadlineSeconds has not run out alone', async () => {
    const desired = pod();
    const { cri, status, make } = setup({ ...desired, spec: { ...desired.spec!, activeDeadlineSeconds: 60 } });
    const worker = make();
    await sync(worker);
    cri.nowMs += 59_000;
    await sync(worker);
    expect(worker.state).toBe('syncing');
    expect(status.statuses.get('uid-1')?.phase).toBe('Running');
  });

  it('takes a Never pod whose containers exited to terminated: sandbox stopped, containers kept, phase Succeeded', async () => {
    const { cri, status, make } = setup(pod({ restartPolicy: 'Never' }));
    const worker = make();
    await sync(worker);
    cri.exit('main', 0);
    await sync(worker);
    expect(worker.state).toBe('terminated');
    expect(cri.calls).toContain('stopPodSandbox sandbox-1');
    expect(cri.calls.some((c) => c.startsWith('removeContainer'))).toBe(false);
    expect(status.statuses.get('uid-1')?.phase).toBe('Succeeded');
  });

  it('restarts an OnFailure container that failed but not one that succeeded', async () => {
    const { cri, make } = setup(pod({ restartPolicy: 'OnFailure', containers: ['fails', 'succeeds'] }));
    const worker = make();
    await sync(worker);
    cri.exit('fails', 2);
    cri.exit('succeeds', 0);
    await sync(worker);
    expect(cri.running()).toEqual(['fails#1']);
  });

  it('stops a deleted pod with its deletion grace period, removes its runtime objects and deletes it from the API', async () => {
    const desired = pod();
    const { cri, status, make } = setup(desired);
    const worker = make();
    await sync(worker);
    worker.update({ pod: { ...desired, metadata: { ...desired.metadata, deletionGracePeriodSeconds: 7 } }, deleted: true });
    await worker.idle();
    expect(cri.calls).toEqual(
      expect.arrayContaining(['stopContainer main grace=7', 'stopPodSandbox sandbox-1', 'removeContainer main', 'removePodSandbox sandbox-1', 'removeDir /var/log/pods/shop_web_uid-1']),
    );
    expect(cri.sandboxes.size + cri.containers.size).toBe(0);
    expect(status.terminated).toEqual(['uid-1']);
    expect(worker.state).toBe('cleanedUp');
  });

  it('runs postStart right after the start and preStop before the stop, and kills a container whose postStart fails', async () => {
    const base = pod();
    const hooked: V1Pod = {
      ...base,
      spec: {
        ...base.spec!,
        containers: [{ ...base.spec!.containers[0]!, lifecycle: { postStart: { exec: { command: ['warm-up'] } }, preStop: { exec: { command: ['drain'] } } } }],
      },
    };
    const { cri, make } = setup(hooked);
    const worker = make();
    await sync(worker);
    expect(cri.calls.slice(-2)).toEqual(['startContainer main', 'execSync main warm-up']);
    worker.update({ pod: { ...hooked, metadata: { ...hooked.metadata, deletionGracePeriodSeconds: 7 } }, deleted: true });
    await worker.idle();
    const drain = cri.calls.indexOf('execSync main drain');
    expect(drain).toBeGreaterThan(0);
    expect(cri.calls[drain + 1]).toBe('stopContainer main grace=7');

    const failing = setup(hooked);
    failing.cri.execExitCode = 1;
    await sync(failing.make());
    expect(failing.cri.calls.slice(-2)).toEqual(['execSync main warm-up', 'stopContainer main grace=30']);
  });

  it('leaves a container waiting as ErrImagePull, creating nothing, when its image is absent and may not be pulled', async () => {
    const { cri, status, make } = setup(pod({ pullPolicy: 'Never' }));
    await sync(make());
    expect(cri.calls.filter((c) => !c.startsWith('ensureDir'))).toEqual(['runPodSandbox web attempt=0']);
    const container = status.statuses.get('uid-1')?.containerStatuses?.[0];
    expect(container?.state?.waiting?.reason).toBe('ErrImagePull');
    expect(status.statuses.get('uid-1')?.phase).toBe('Pending');
  });

  it('replaces a dead sandbox with a new attempt and restarts the containers in it', async () => {
    const { cri, make } = setup(pod());
    const worker = make();
    await sync(worker);
    const sandbox = cri.sandboxes.get('sandbox-1');
    if (sandbox) sandbox.ready = false;
    for (const c of cri.containers.values()) c.state = 'CONTAINER_EXITED';
    await sync(worker);
    expect(cri.calls).toEqual(expect.arrayContaining(['stopPodSandbox sandbox-1', 'runPodSandbox web attempt=1', 'createContainer main attempt=1']));
    expect(cri.running()).toEqual(['main#1']);
  });

  it('never runs again a pod that the API already reports Succeeded, even when the runtime has nothing of it', async () => {
    const done = { ...pod({ restartPolicy: 'Never' }), status: { phase: 'Succeeded' } };
    const { cri, make } = setup(done);
    const worker = make();
    await sync(worker);
    expect(cri.calls).toEqual([]);
    expect(worker.state).toBe('terminated');
  });

  function withInits(base: V1Pod, ...names: string[]): V1Pod {
    return { ...base, spec: { ...base.spec!, initContainers: names.map((name) => ({ name, image: `registry.test/${name}:1` })) } };
  }

  it('runs init containers one at a time, in order, before any app container', async () => {
    const { cri, status, make } = setup(withInits(pod(), 'fetch', 'migrate'));
    const worker = make();
    await sync(worker);
    expect(cri.running()).toEqual(['fetch#0']);
    let reported = status.statuses.get('uid-1');
    expect(reported?.phase).toBe('Pending');
    expect(reported?.conditions?.find((c) => c.type === 'Initialized')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [fetch migrate]',
    });
    expect(reported?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('PodInitializing');

    cri.exit('fetch', 0);
    await sync(worker);
    expect(cri.running()).toEqual(['migrate#0']);
    cri.exit('migrate', 0);
    await sync(worker);
    expect(cri.running()).toEqual(['main#0']);
    reported = status.statuses.get('uid-1');
    expect(reported?.phase).toBe('Running');
    expect(reported?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
    expect(reported?.initContainerStatuses?.map((c) => [c.name, c.ready, c.state?.terminated?.reason])).toEqual([
      ['fetch', true, 'Completed'],
      ['migrate', true, 'Completed'],
    ]);
  });

  it('runs a failed init container again under OnFailure, and fails the pod under Never without starting the app', async () => {
    const retried = setup(withInits(pod({ restartPolicy: 'OnFailure' }), 'fetch'));
    const worker = retried.make();
    await sync(worker);
    retried.cri.exit('fetch', 2);
    await sync(worker);
    expect(retried.cri.running()).toEqual(['fetch#1']);

    const never = setup(withInits(pod({ restartPolicy: 'Never' }), 'fetch'));
    const once = never.make();
    await sync(once);
    never.cri.exit('fetch', 2);
    await sync(once);
    await sync(once);
    expect(never.cri.calls.filter((c) => c.startsWith('startContainer'))).toEqual(['startContainer fetch']);
    expect(never.status.statuses.get('uid-1')?.phase).toBe('Failed');
  });

  it('runs a sidecar init container beside the app: started in init order, kept running, restarted whenever it exits', async () => {
    const base = withInits(pod({ restartPolicy: 'Never' }), 'fetch');
    const withSidecar = { ...base, spec: { ...base.spec!, initContainers: [{ name: 'proxy', image: 'registry.test/proxy:1', restartPolicy: 'Always' }, ...base.spec!.initContainers!] } };
    const { cri, status, make } = setup(withSidecar);
    const worker = make();
    await sync(worker);
    // A running sidecar counts as initialized: the next init container starts beside it.
    expect(cri.running()).toEqual(['proxy#0']);
    await sync(worker);
    expect(cri.running()).toEqual(['proxy#0', 'fetch#0']);
    cri.exit('fetch', 0);
    await sync(worker);
    expect(cri.running()).toEqual(['proxy#0', 'main#0']);
    let reported = status.statuses.get('uid-1');
    expect(reported?.phase).toBe('Running');
    expect(reported?.initContainerStatuses?.map((c) => [c.name, c.ready, Object.keys(c.state ?? {})[0]])).toEqual([
      ['proxy', true, 'running'],
      ['fetch', true, 'terminated'],
    ]);
    // The pod's policy is Never, but a sidecar always comes back.
    cri.exit('proxy', 1);
    await sync(worker);
    expect(cri.running()).toEqual(['main#0', 'proxy#1']);
    // When the app container is done the pod is, and the sidecar is stopped after it.
    cri.exit('main', 0);
    await sync(worker);
    await sync(worker);
    reported = status.statuses.get('uid-1');
    expect(reported?.phase).toBe('Succeeded');
    expect(cri.running()).toEqual([]);
  });

  it("syncs from the PLEG's picture: a sync with nothing to do reads nothing, one that changed the runtime reads the pod once more", async () => {
    const { cri, make } = setup(pod({ containers: ['first', 'second'] }));
    const worker = make();
    await sync(worker);
    await relist(worker);
    const steady = cri.reads.length;
    worker.kick();
    await worker.idle();
    expect(cri.reads.slice(steady)).toEqual([]);

    cri.exit('first', 1);
    await relist(worker);
    const afterExit = cri.reads.length;
    worker.kick();
    await worker.idle();
    expect(cri.running()).toEqual(['second#0', 'first#1']);
    // The sync acted on the PLEG's picture; only the status after its own restart read the pod.
    const reads = cri.reads.slice(afterExit);
    expect(reads.filter((r) => r === 'listPodSandbox')).toHaveLength(1);
    expect(reads.filter((r) => r === 'listContainers')).toHaveLength(1);
  });

  it('does not sync again for an update that carries the same resourceVersion', async () => {
    const versioned = { ...pod(), metadata: { ...pod().metadata, resourceVersion: '7' } };
    const { cri, make } = setup(versioned);
    const worker = make();
    await sync(worker);
    cri.exit('main', 1);
    await relist(worker);
    const calls = cri.calls.length;
    worker.update({ pod: { ...versioned }, deleted: false });
    await worker.idle();
    expect(cri.calls.length).toBe(calls);
    worker.update({ pod: { ...versioned, metadata: { ...versioned.metadata, resourceVersion: '8' } }, deleted: false });
    await worker.idle();
    expect(cri.running()).toEqual(['main#1']);
  });

  it.each<[PodWorkerState, PodWorkerState, boolean]>([
    ['syncing', 'terminating', true],
    ['terminating', 'terminated', true],
    ['terminated', 'cleanedUp', true],
    ['syncing', 'terminated', false],
    ['terminated', 'syncing', false],
    ['cleanedUp', 'syncing', false],
    ['terminating', 'syncing', false],
  ])('allows the transition %s → %s: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });
});
