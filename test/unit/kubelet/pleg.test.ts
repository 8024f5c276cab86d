import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { CriCallError } from '../../../cri/client/cri-client.js';
import { followContainerEvents } from '../../../kubelet/container-events.js';
import type { CriPort } from '../../../kubelet/cri-port.js';
import { Pleg } from '../../../kubelet/pleg.js';
import { PodStatusCache } from '../../../kubelet/pod-status-cache.js';
import { RecordingCri } from './recording-cri.js';

async function runPod(cri: RecordingCri, uid: string): Promise<string> {
  const port = cri.port();
  const labels = { 'io.kubernetes.pod.uid': uid };
  const { podSandboxId } = await port.runPodSandbox({ metadata: { name: uid, namespace: 'default', uid, attempt: 0 }, labels });
  const { containerId } = await port.createContainer(podSandboxId, { metadata: { name: 'main', attempt: 0 }, labels: { ...labels, 'io.kubernetes.container.name': 'main' } }, {});
  await port.startContainer(containerId);
  return containerId;
}

describe('PLEG', () => {
  it('reports the pods whose sandboxes or containers changed since the last relist, and only those', async () => {
    const cri = new RecordingCri();
    const pleg = new Pleg({ cri: cri.port(), relistMs: 1_000, logger: silentLogger(), onPodsChanged: () => undefined });
    await runPod(cri, 'uid-a');
    await runPod(cri, 'uid-b');
    expect((await pleg.relist()).sort()).toEqual(['uid-a', 'uid-b']);
    expect(await pleg.relist()).toEqual([]);
    cri.exit('main', 0);
    const changed = await pleg.relist();
    expect(changed).toHaveLength(1);
    expect(['uid-a', 'uid-b']).toContain(changed[0]);
  });

  it('reports a pod whose runtime objects disappeared, and knows which pods the runtime holds', async () => {
    const cri = new RecordingCri();
    const pleg = new Pleg({ cri: cri.port(), relistMs: 1_000, logger: silentLogger(), onPodsChanged: () => undefined });
    await runPod(cri, 'uid-a');
    await pleg.relist();
    expect([...pleg.podsInRuntime().keys()]).toEqual(['uid-a']);
    for (const id of [...cri.sandboxes.keys()]) await cri.port().removePodSandbox(id);
    expect(await pleg.relist()).toEqual(['uid-a']);
    expect(pleg.podsInRuntime().size).toBe(0);
  });
});

describe('PLEG and the pod status cache', () => {
  it('reads the details of the changed pods into the cache, so their workers ask the runtime nothing', async () => {
    const cri = new RecordingCri();
    const cache = new PodStatusCache(cri.port());
    const pleg = new Pleg({ cri: cri.port(), cache, relistMs: 1_000, logger: silentLogger(), onPodsChanged: () => undefined });
    const containerId = await runPod(cri, 'uid-a');
    const before = cache.tick();
    await pleg.relist();
    cri.exit('main', 3);
    await pleg.relist();
    const reads = cri.reads.length;
    const observed = await cache.read('uid-a', before);
    expect(cri.reads).toHaveLength(reads);
    expect(observed.sandboxes[0]?.ip).toBe('10.0.0.5');
    expect(observed.containers).toEqual([expect.objectContaining({ id: containerId, state: 'exited', exitCode: 3 })]);
  });

  it('drops a pod that left the runtime from the cache', async () => {
    const cri = new RecordingCri();
    const cache = new PodStatusCache(cri.port());
    const pleg = new Pleg({ cri: cri.port(), cache, relistMs: 1_000, logger: silentLogger(), onPodsChanged: () => undefined });
    await runPod(cri, 'uid-a');
    await pleg.relist();
    for (const id of [...cri.sandboxes.keys()]) await cri.port().removePodSandbox(id);
    await pleg.relist();
    const reads = cri.reads.length;
    expect(await cache.read('uid-a', 0)).toEqual({ sandboxes: [], containers: [] });
    expect(cri.reads.slice(reads)).toEqual(['listPodSandbox', 'listContainers']);
  });
});

describe('PLEG pokes and runtime events', () => {
  it('relists at once when poked instead of waiting for the period', async () => {
    const cri = new RecordingCri();
    const changes: string[][] = [];
    const pleg = new Pleg({ cri: cri.port(), relistMs: 60_000, logger: silentLogger(), onPodsChanged: (uids) => changes.push(uids) });
    pleg.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(changes).toEqual([]);
      await runPod(cri, 'uid-a');
      pleg.poke();
      await expect.poll(() => changes.flat()).toEqual(['uid-a']);
      // Pokes while a relist runs queue one more relist, not one each.
      cri.exit('main', 1);
      for (let i = 0; i < 5; i++) pleg.poke();
      await expect.poll(() => changes.length).toBe(2);
    } finally {
      pleg.stop();
    }
    pleg.poke(); // after stop: nothing runs
  });

  it('pokes for every event, reopens a broken stream, and gives up quietly on Unimplemented', async () => {
    const logger = silentLogger();
    let opened = 0;
    let emit: () => void = () => undefined;
    let breakStream: (error: CriCallError | undefined) => void = () => undefined;
    const cri = {
      containerEvents: (onEvent: () => void) => {
        opened += 1;
        emit = onEvent;
        const ended = new Promise<CriCallError | undefined>((resolve) => (breakStream = resolve));
        return { ended, cancel: () => breakStream(undefined) };
      },
    } as unknown as Pick<CriPort, 'containerEvents'>;
    let pokes = 0;
    const stop = followContainerEvents({ cri, onEvent: () => (pokes += 1), logger, retryMs: 10 });
    emit();
    emit();
    expect(pokes).toBe(2);
    breakStream(new CriCallError('GetContainerEvents', GrpcStatus.UNAVAILABLE, 'gone'));
    await expect.poll(() => opened).toBe(2);
    expect(pokes).toBe(3); // the gap is covered by one relist
    breakStream(new CriCallError('GetContainerEvents', GrpcStatus.UNIMPLEMENTED, 'no'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(opened).toBe(2);
    stop();
  });
});
