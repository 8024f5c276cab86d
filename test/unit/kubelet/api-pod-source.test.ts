import type { V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import type { PodApi, PodWatchEvent } from '../../../kubelet/api-port.js';
import { ApiPodSource } from '../../../kubelet/api-pod-source.js';

const pod = (name: string): V1Pod => ({ metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: { nodeName: 'node-a', containers: [] } });

/** A PodApi whose list returns `server` and whose watch the test drives by hand. */
function scriptedApi(server: Map<string, V1Pod>) {
  const watches: { selector: string; resourceVersion: string; onEvent: (e: PodWatchEvent) => void; done: (error: unknown) => void }[] = [];
  let version = 0;
  const api: PodApi = {
    patchPodStatus: async () => undefined,
    deletePod: async () => undefined,
    createPod: async (p) => p,
    listPods: async () => ({ pods: [...server.values()], resourceVersion: String(++version) }),
    watchPods: async (selector, resourceVersion, onEvent, done) => {
      watches.push({ selector, resourceVersion, onEvent, done });
      return () => undefined;
    },
  };
  return { api, watches };
}

const sources: ApiPodSource[] = [];
afterEach(() => {
  for (const s of sources.splice(0)) s.stop();
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('API pod source', () => {
  it('lists and watches only the pods bound to this node, from the version it listed', async () => {
    const server = new Map([['uid-a', pod('a')]]);
    const { api, watches } = scriptedApi(server);
    const sets: string[][] = [];
    const source = new ApiPodSource({ api, nodeName: 'node-a', logger: silentLogger(), onChange: (pods) => sets.push(pods.map((p) => p.metadata?.name ?? '')) });
    sources.push(source);
    source.start();
    await until(() => watches.length === 1);
    expect(watches[0]).toMatchObject({ selector: 'spec.nodeName=node-a', resourceVersion: '1' });
    expect(source.synced).toBe(true);
    watches[0]?.onEvent({ type: 'ADDED', pod: pod('b') });
    watches[0]?.onEvent({ type: 'DELETED', pod: pod('a') });
    expect(sets).toEqual([['a'], ['a', 'b'], ['b']]);
  });

  it('relists when the watch ends, so a change made while it was down is not lost', async () => {
    const server = new Map([['uid-a', pod('a')]]);
    const { api, watches } = scriptedApi(server);
    let latest: string[] = [];
    const source = new ApiPodSource({ api, nodeName: 'node-a', logger: silentLogger(), retryMs: 1, onChange: (pods) => (latest = pods.map((p) => p.metadata?.name ?? '')) });
    sources.push(source);
    source.start();
    await until(() => watches.length === 1);
    server.delete('uid-a');
    server.set('uid-c', pod('c'));
    watches[0]?.done(new Error('410 Gone'));
    await until(() => watches.length === 2);
    expect(latest).toEqual(['c']);
    expect(watches[1]?.resourceVersion).toBe('2');
  });
});
