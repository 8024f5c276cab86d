import { describe, expect, it } from 'vitest';
import { PodStatusCache } from '../../../kubelet/pod-status-cache.js';
import type { ObservedPod } from '../../../kubelet/pod-runtime-state.js';
import { RecordingCri } from './recording-cri.js';

const picture = (ip: string): ObservedPod => ({
  sandboxes: [{ id: 's', attempt: 0, ready: true, createdAtMs: 1, ip, name: 'web', namespace: 'shop' }],
  containers: [],
});

describe('pod status cache', () => {
  it('answers from a picture begun after the asked tick, and reads through the CRI once otherwise', async () => {
    const cri = new RecordingCri();
    const cache = new PodStatusCache(cri.port());
    const before = cache.tick();
    cache.set('uid-1', picture('10.0.0.1'), cache.tick());
    expect((await cache.read('uid-1', before)).sandboxes[0]?.ip).toBe('10.0.0.1');
    expect(cri.reads).toEqual([]);

    const changed = cache.tick();
    const fresh = await cache.read('uid-1', changed);
    expect(fresh).toEqual({ sandboxes: [], containers: [] });
    expect(cri.reads).toEqual(['listPodSandbox', 'listContainers']);
    // What the read-through found is now the answer for the same tick.
    expect(await cache.read('uid-1', changed)).toBe(fresh);
    expect(cri.reads).toHaveLength(2);
  });

  it('never lets an older read replace a newer one', async () => {
    const cache = new PodStatusCache(new RecordingCri().port());
    const older = cache.tick();
    const newer = cache.tick();
    cache.set('uid-1', picture('10.0.0.2'), newer);
    cache.set('uid-1', picture('10.0.0.1'), older);
    expect((await cache.read('uid-1', 0)).sandboxes[0]?.ip).toBe('10.0.0.2');
  });

  it('forgets a pod, so the next read goes to the runtime', async () => {
    const cri = new RecordingCri();
    const cache = new PodStatusCache(cri.port());
    cache.set('uid-1', picture('10.0.0.1'), cache.tick());
    cache.delete('uid-1');
    await cache.read('uid-1', 0);
    expect(cri.reads).toEqual(['listPodSandbox', 'listContainers']);
  });
});
