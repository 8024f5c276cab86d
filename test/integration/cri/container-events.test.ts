// GetContainerEvents and the streaming list RPCs, driven by the real crictl (`crictl events`)
// and berth's CRI client against a real berth: runc under conmon, the seeded registry, CNI.
import { execa } from 'execa';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CriClient } from '../../../cri/client/cri-client.js';
import type { ContainerEventResponse__Output } from '../../../api/cri/messages.js';
import { berthFixture } from '../../harness/berth-fixture.js';
import { goTool } from '../../harness/tools.js';

let client: CriClient;
const fixture = berthFixture('events', 243, async ({ berth }) => {
  client = new CriClient({ endpoint: berth.socket });
  await berth.crictl('pull', image);
});
const { work, writeJson } = fixture;
const image = `${fixture.registry}/busybox:latest`;

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('container events', () => {
  it('streams created, started, stopped (when conmon records the exit, no list needed) and deleted to crictl events and the CRI client', async () => {
    const received: ContainerEventResponse__Output[] = [];
    const { berth } = fixture;
    const subscription = client.containerEvents((event) => received.push(event));
    const crictlEvents = execa(goTool('crictl'), ['--runtime-endpoint', `unix://${berth.socket}`, 'events', '-o', 'json'], { reject: false, buffer: false });
    let crictlOut = '';
    crictlEvents.stdout?.on('data', (chunk: Buffer) => (crictlOut += chunk.toString()));
    try {
      // Both subscribers are attached once the first event reaches them; give them a moment.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const podConfig = writeJson('pod.json', { metadata: { name: 'events', namespace: 'default', uid: 'events-uid', attempt: 0 }, log_directory: join(work, 'logs'), linux: {} });
      const podId = (await berth.crictl('runp', podConfig)).trim();
      const containerConfig = writeJson('container.json', { metadata: { name: 'brief' }, image: { image }, command: ['sh', '-c', 'sleep 1; exit 3'], log_path: 'brief.log', linux: {} });
      const containerId = (await berth.crictl('create', podId, containerConfig, podConfig)).trim();
      await berth.crictl('start', containerId);

      // Nothing lists containers from here on: the stopped event comes from conmon's exit file.
      const stopped = await until(() => received.find((e) => e.containerEventType === 'CONTAINER_STOPPED_EVENT'), 'the stopped event');
      expect(stopped.containerId).toBe(containerId);
      expect(stopped.podSandboxStatus?.id).toBe(podId);
      expect(stopped.containersStatuses.find((c) => c.id === containerId)).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 3 });

      await berth.crictl('rm', containerId);
      await until(() => received.find((e) => e.containerEventType === 'CONTAINER_DELETED_EVENT'), 'the deleted event');
      expect(received.map((e) => `${e.containerEventType} ${e.containerId === containerId}`)).toEqual([
        'CONTAINER_CREATED_EVENT true',
        'CONTAINER_STARTED_EVENT true',
        'CONTAINER_STOPPED_EVENT true',
        'CONTAINER_DELETED_EVENT true',
      ]);
      expect(BigInt(stopped.createdAt)).toBeGreaterThan(0n);
      await until(() => (crictlOut.includes('CONTAINER_DELETED_EVENT') ? true : undefined), 'crictl to print the deleted event');
      expect([...crictlOut.matchAll(/"containerEventType":\s*"(\w+)"/g)].map((m) => m[1])).toEqual([
        'CONTAINER_CREATED_EVENT',
        'CONTAINER_STARTED_EVENT',
        'CONTAINER_STOPPED_EVENT',
        'CONTAINER_DELETED_EVENT',
      ]);
      expect(crictlOut).toContain(containerId);
    } finally {
      subscription.cancel();
      crictlEvents.kill('SIGINT');
      await crictlEvents;
    }
    expect(await subscription.ended).toBeUndefined();
  });

  it('answers the streaming list RPCs with what the list RPCs answer', async () => {
    const { berth } = fixture;
    const podConfig = writeJson('pod2.json', { metadata: { name: 'lists', namespace: 'default', uid: 'lists-uid', attempt: 0 }, linux: {} });
    const podId = (await berth.crictl('runp', podConfig)).trim();
    const containerConfig = writeJson('container2.json', { metadata: { name: 'sleeper' }, image: { image }, command: ['sleep', '60'], linux: {} });
    await berth.crictl('create', podId, containerConfig, podConfig);
    const [listed, streamed] = await Promise.all([client.listContainers({ podSandboxId: podId }), client.streamContainers({ podSandboxId: podId })]);
    expect(streamed.flatMap((m) => m.containers).map((c) => c.id)).toEqual(listed.containers.map((c) => c.id));
    expect(listed.containers).toHaveLength(1);
    const sandboxes = (await client.streamPodSandboxes({ id: podId })).flatMap((m) => m.podSandboxes);
    expect(sandboxes.map((s) => s.id)).toEqual([podId]);
    const images = (await client.streamImages()).flatMap((m) => m.images);
    expect(images.some((i) => i.repoTags.includes(image))).toBe(true);
    // An empty answer is one empty message, not silence.
    expect(await client.streamContainers({ podSandboxId: 'f'.repeat(64) })).toEqual([{ containers: [] }]);
  });
});
