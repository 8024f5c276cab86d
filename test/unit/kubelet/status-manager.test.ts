import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import type { PodApi } from '../../../kubelet/api-port.js';
import { StatusManager } from '../../../kubelet/status-manager.js';

function recordingApi(): PodApi & { writes: string[]; deletes: string[]; preconditions: (string | undefined)[] } {
  const writes: string[] = [];
  const preconditions: (string | undefined)[] = [];
  const deletes: string[] = [];
  return {
    writes,
    deletes,
    preconditions,
    patchPodStatus: async (namespace, name, status, uid) => {
      writes.push(`${namespace}/${name} ${status.phase ?? ''}`);
      preconditions.push(uid);
    },
    deletePod: async (namespace, name, options) => void deletes.push(`${namespace}/${name} uid=${options.uid ?? ''} grace=${options.gracePeriodSeconds}`),
    createPod: async (pod) => pod,
    listPods: async () => ({ pods: [], resourceVersion: '1' }),
    watchPods: async () => () => undefined,
  };
}

const apiPod: V1Pod = { metadata: { name: 'web', namespace: 'shop', uid: 'uid-1' }, spec: { containers: [] } };
const staticPod: V1Pod = { metadata: { name: 'etcd-node-a', namespace: 'default', uid: 'hash-1', annotations: { 'kubernetes.io/config.source': 'file' } }, spec: { containers: [] } };
const status = (phase: string): V1PodStatus => ({ phase, conditions: [{ type: 'Ready', status: phase === 'Running' ? 'True' : 'False' }] });

describe('status manager', () => {
  it('writes a pod status once and not again while it is unchanged', async () => {
    const api = recordingApi();
    const manager = new StatusManager({ api, logger: silentLogger() });
    manager.setPodStatus(apiPod, status('Pending'));
    await manager.idle();
    manager.setPodStatus(apiPod, status('Pending'));
    manager.resync();
    await manager.idle();
    manager.setPodStatus(apiPod, status('Running'));
    await manager.idle();
    expect(api.writes).toEqual(['shop/web Pending', 'shop/web Running']);
  });

  it('writes the latest status after one that was in flight', async () => {
    const api = recordingApi();
    const manager = new StatusManager({ api, logger: silentLogger() });
    manager.setPodStatus(apiPod, status('Pending'));
    manager.setPodStatus(apiPod, status('Running'));
    await manager.idle();
    expect(api.writes.at(-1)).toBe('shop/web Running');
  });

  it('retries a failed write at the next resync', async () => {
    const api = recordingApi();
    let fail = true;
    const patch = api.patchPodStatus;
    api.patchPodStatus = async (...args) => {
      if (fail) throw new Error('mirror pod not found');
      return patch(...args);
    };
    const manager = new StatusManager({ api, logger: silentLogger() });
    manager.setPodStatus(staticPod, status('Running'));
    await manager.idle();
    fail = false;
    manager.resync();
    await manager.idle();
    expect(api.writes).toEqual(['default/etcd-node-a Running']);
  });

  it('deletes a terminated API pod for good with grace 0 and a uid precondition, and never a static pod', async () => {
    const api = recordingApi();
    const manager = new StatusManager({ api, logger: silentLogger() });
    await manager.podTerminated(apiPod);
    await manager.podTerminated(staticPod);
    expect(api.deletes).toEqual(['shop/web uid=uid-1 grace=0']);
  });

  it('keeps statuses in memory only when standalone', async () => {
    const manager = new StatusManager({ api: undefined, logger: silentLogger() });
    manager.setPodStatus(apiPod, status('Running'));
    await manager.podTerminated(apiPod);
    expect(manager.lastStatus('uid-1')?.phase).toBe('Running');
  });

  it("sends an API pod's uid as the write's precondition, and none for a static pod's mirror", async () => {
    const api = recordingApi();
    const manager = new StatusManager({ api, logger: silentLogger() });
    manager.setPodStatus(apiPod, status('Running'));
    manager.setPodStatus(staticPod, status('Running'));
    await manager.idle();
    expect(api.preconditions).toEqual(['uid-1', undefined]);
  });

  it('never writes or deletes anything for the stand-in of an orphaned runtime pod', async () => {
    const api = recordingApi();
    const manager = new StatusManager({ api, logger: silentLogger() });
    const orphan: V1Pod = { metadata: { name: 'web', namespace: 'shop', uid: 'old-uid', annotations: { 'berth.dev/orphan': 'true' } }, spec: { containers: [] } };
    manager.setPodStatus(orphan, status('Running'));
    await manager.podTerminated(orphan);
    await manager.idle();
    expect([...api.writes, ...api.deletes]).toEqual([]);
  });
});
