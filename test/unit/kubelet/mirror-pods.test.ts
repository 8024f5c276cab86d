import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import type { PodApi } from '../../../kubelet/api-port.js';
import { MirrorPods } from '../../../kubelet/mirror-pods.js';
import { staticPodFromManifest } from '../../../kubelet/static-pods.js';

const staticPod = staticPodFromManifest(
  { metadata: { name: 'etcd' }, spec: { containers: [{ name: 'etcd', image: 'registry.test/etcd:3.5' }] } },
  { nodeName: 'node-a', where: 'etcd.yaml', seen: new Date(0) },
);
const hash = staticPod.metadata?.uid ?? '';
const mirror = (annotationHash: string, extra: Partial<NonNullable<V1Pod['metadata']>> = {}): V1Pod => ({
  metadata: { name: 'etcd-node-a', namespace: 'default', uid: 'mirror-uid', annotations: { 'kubernetes.io/config.mirror': annotationHash }, ...extra },
  spec: { containers: [] },
});

function setup(registered = true) {
  const nodeUid = registered ? 'node-uid' : undefined;
  const calls: string[] = [];
  const api: PodApi = {
    patchPodStatus: async () => undefined,
    deletePod: async (namespace, name, options) => void calls.push(`delete ${namespace}/${name} uid=${options.uid ?? ''} grace=${options.gracePeriodSeconds}`),
    createPod: async (pod) => {
      calls.push(`create ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''} owner=${pod.metadata?.ownerReferences?.[0]?.uid ?? ''}`);
      return pod;
    },
    listPods: async () => ({ pods: [], resourceVersion: '1' }),
    watchPods: async () => () => undefined,
  };
  return { calls, mirrors: new MirrorPods({ api, nodeName: 'node-a', nodeUid: () => nodeUid, logger: silentLogger() }) };
}

describe('mirror pods', () => {
  it('creates a missing mirror pod owned by the Node', async () => {
    const { calls, mirrors } = setup();
    await mirrors.sync([staticPod], []);
    expect(calls).toEqual(['create default/etcd-node-a owner=node-uid']);
  });

  it('leaves a current mirror pod alone', async () => {
    const { calls, mirrors } = setup();
    await mirrors.sync([staticPod], [mirror(hash)]);
    expect(calls).toEqual([]);
  });

  it.each<[string, V1Pod[], V1Pod]>([
    ['shows an old version of its static pod', [staticPod], mirror('0'.repeat(32))],
    ['was deleted by someone and waits in Terminating', [staticPod], mirror(hash, { deletionTimestamp: new Date(0) })],
    ['has no static pod any more', [], mirror(hash)],
  ])('deletes for good a mirror pod that %s, with its uid as precondition', async (_name, statics, existing) => {
    const { calls, mirrors } = setup();
    await mirrors.sync(statics, [existing]);
    expect(calls).toEqual(['delete default/etcd-node-a uid=mirror-uid grace=0']);
  });

  it('creates nothing before the Node is registered (it must own the mirror pods)', async () => {
    const { calls, mirrors } = setup(false);
    await mirrors.sync([staticPod], []);
    expect(calls).toEqual([]);
  });
});
