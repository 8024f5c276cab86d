import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { RestartBackoff } from '../../../kubelet/backoff.js';
import { computePodActions, initState } from '../../../kubelet/pod-actions.js';
import type { ObservedContainer, ObservedPod } from '../../../kubelet/pod-runtime-state.js';

const pod: V1Pod = {
  metadata: { name: 'p', namespace: 'default', uid: 'u1' },
  spec: {
    initContainers: [
      { name: 'proxy', image: 'proxy', restartPolicy: 'Always', startupProbe: { exec: { command: ['ready'] }, periodSeconds: 1 } },
      { name: 'migrate', image: 'migrate' },
    ],
    containers: [{ name: 'app', image: 'app' }],
  },
};

function running(name: string, id: string): ObservedContainer {
  return { id, sandboxId: 's1', name, attempt: 0, state: 'running', exitCode: 0, reason: '', message: '', createdAtMs: 1, startedAtMs: 1, finishedAtMs: 0, imageRef: '' };
}

const observed: ObservedPod = {
  sandboxes: [{ id: 's1', attempt: 0, ready: true, createdAtMs: 1, ip: '10.0.0.2', name: 'p', namespace: 'default' }],
  containers: [running('proxy', 'c-proxy')],
};

describe('a sidecar with a startup probe gates the next init container', () => {
  it('waits while the sidecar runs but its startup probe has not passed', () => {
    const actions = computePodActions(pod, observed, new RestartBackoff(), 0, () => false);
    expect(actions.startContainers).toEqual([]);
    expect(initState(pod, observed, 's1', () => false)).toMatchObject({ done: false, incomplete: ['proxy', 'migrate'] });
  });

  it('starts the next init container once the sidecar has started', () => {
    const asked: string[] = [];
    const actions = computePodActions(pod, observed, new RestartBackoff(), 0, (id, container) => {
      asked.push(`${id}/${container.name}`);
      return true;
    });
    expect(actions.startContainers.map((s) => s.container.name)).toEqual(['migrate']);
    expect(asked).toContain('c-proxy/proxy');
  });
});
