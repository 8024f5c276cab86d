import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { Pleg } from '../../../kubelet/pleg.js';
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
