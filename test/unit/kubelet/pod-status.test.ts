import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { ObservedContainer, ObservedPod } from '../../../kubelet/pod-runtime-state.js';
import { buildPodStatus, podPhase } from '../../../kubelet/pod-status.js';

const pod = (restartPolicy: string, names = ['a', 'b']): V1Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'uid-1' },
  spec: { restartPolicy, containers: names.map((name) => ({ name, image: `img-${name}` })) },
});

function container(name: string, state: ObservedContainer['state'], exitCode = 0, attempt = 0): ObservedContainer {
  return {
    id: `${name}-${attempt}`,
    sandboxId: 's1',
    name,
    attempt,
    state,
    exitCode,
    reason: '',
    message: '',
    createdAtMs: 1_000,
    startedAtMs: 2_000,
    finishedAtMs: state === 'exited' ? 3_000 : 0,
    imageRef: `sha256:${name}`,
  };
}

const observed = (...containers: ObservedContainer[]): ObservedPod => ({
  sandboxes: [{ id: 's1', attempt: 0, ready: true, createdAtMs: 500, ip: '10.0.0.5', name: 'p', namespace: 'default' }],
  containers,
});

describe('pod phase', () => {
  it.each<[string, string, ObservedContainer[], string]>([
    ['nothing created yet', 'Always', [], 'Pending'],
    ['one container still waiting', 'Always', [container('a', 'running')], 'Pending'],
    ['all running', 'Always', [container('a', 'running'), container('b', 'running')], 'Running'],
    ['one running, one exited', 'Never', [container('a', 'running'), container('b', 'exited', 1)], 'Running'],
    ['all exited under Always (restarting)', 'Always', [container('a', 'exited', 0), container('b', 'exited', 1)], 'Running'],
    ['all exited 0 under Never', 'Never', [container('a', 'exited', 0), container('b', 'exited', 0)], 'Succeeded'],
    ['one failed under Never', 'Never', [container('a', 'exited', 0), container('b', 'exited', 2)], 'Failed'],
    ['one failed under OnFailure (restarting)', 'OnFailure', [container('a', 'exited', 0), container('b', 'exited', 2)], 'Running'],
    ['all succeeded under OnFailure', 'OnFailure', [container('a', 'exited', 0), container('b', 'exited', 0)], 'Succeeded'],
  ])('is derived for %s', (_name, policy, containers, phase) => {
    expect(podPhase(pod(policy), observed(...containers))).toBe(phase);
  });
});

describe('pod status', () => {
  const input = {
    waiting: new Map(),
    hostIp: '192.0.2.10',
    runtimeName: 'containerd',
    startTime: new Date('2026-11-22T10:00:00.700Z'),
    previous: undefined,
    now: new Date('2026-11-22T10:00:05Z'),
  };

  it('reports running containers with containerd:// ids, the pod IP and Ready conditions', () => {
    const status = buildPodStatus({ ...input, pod: pod('Always'), observed: observed(container('a', 'running'), container('b', 'running', 0, 2)) });
    expect(status).toMatchObject({ phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }], hostIP: '192.0.2.10', qosClass: 'BestEffort' });
    expect(status.startTime).toEqual(new Date('2026-11-22T10:00:00Z'));
    expect(status.containerStatuses?.[1]).toMatchObject({ name: 'b', ready: true, started: true, restartCount: 2, image: 'img-b', imageID: 'sha256:b', containerID: 'containerd://b-2' });
    expect(status.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
  });

  it("reports the pod's generation as observedGeneration, on the status and each condition (upstream spec: generation and observedGeneration converge)", () => {
    const withGeneration = { ...pod('Always'), metadata: { ...pod('Always').metadata, generation: 500 } };
    const status = buildPodStatus({ ...input, pod: withGeneration, observed: observed(container('a', 'running'), container('b', 'running')) });
    expect(status.observedGeneration).toBe(500);
    expect(status.conditions?.map((c) => c.observedGeneration)).toEqual([500, 500, 500, 500, 500]);
    // A pod object without one (a static pod's manifest) gets none.
    expect(buildPodStatus({ ...input, pod: pod('Always'), observed: observed() }).observedGeneration).toBeUndefined();
  });

  it('names the containers that are not ready and shows a previous run as lastState', () => {
    const status = buildPodStatus({ ...input, pod: pod('Always'), observed: observed(container('a', 'running', 0, 1), container('a', 'exited', 137, 0), container('b', 'exited', 1)) });
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [b]' });
    expect(status.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'Error', containerID: 'containerd://a-0' });
    expect(status.containerStatuses?.[1]?.state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  });

  it('produces an identical status when nothing changed, keeping transition times', () => {
    const args = { ...input, pod: pod('Always'), observed: observed(container('a', 'running'), container('b', 'running')) };
    const first = buildPodStatus(args);
    const again = buildPodStatus({ ...args, previous: first, now: new Date('2026-11-22T10:01:00Z') });
    expect(again).toEqual(first);
  });
});
