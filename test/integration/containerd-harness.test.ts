// The containerd harness (both releases, real daemons) leaves the machine clean even when the
// daemon died with pods running: the bench once crashed removing a still-mounted sandbox shm and
// left pods, mounts and network namespaces behind (issue 24).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CriClient } from '../../cri/client/cri-client.js';
import { cniTestNetwork, type CniTestNetwork } from '../harness/cni-network.js';
import { startContainerd, type ContainerdRelease } from '../harness/containerd.js';
import { mountsUnder } from '../harness/unmount-under.js';

const registry = inject('registryHost');
const image = `${registry}/busybox:latest`;
let network: CniTestNetwork;

beforeAll(() => {
  network = cniTestNetwork('ctrd-harness', 119);
});

afterAll(async () => {
  await network.remove();
});

function netnsPins(): string[] {
  return existsSync('/run/netns') ? readdirSync('/run/netns') : [];
}

function leases(): string[] {
  const dir = join(network.ipamDir, network.name);
  return existsSync(dir) ? readdirSync(dir).filter((name) => /^\d+\.\d+\.\d+\.\d+$/.test(name)) : [];
}

function processesNaming(text: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .filter((name) => {
      try {
        return readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.each<ContainerdRelease>(['1.6', '2'])('containerd %s harness', (release) => {
  it('stops a daemon that was SIGKILLed with two pods running and leaves nothing behind', async () => {
    const pinsBefore = new Set(netnsPins());
    const containerd = await startContainerd({ registryHost: registry, cniConfDir: network.confDir, release });
    const client = new CriClient({ endpoint: containerd.socket });
    try {
      await client.pullImage(image);
      for (const n of [1, 2]) {
        const pod = { metadata: { name: `harness-${n}`, namespace: 'harness', uid: `harness-${release}-${n}`, attempt: 0 } };
        const { podSandboxId } = await client.runPodSandbox(pod);
        const { containerId } = await client.createContainer(podSandboxId, { metadata: { name: 'sleeper' }, image: { image }, command: ['sleep', '600'] }, pod);
        await client.startContainer(containerId);
      }
      expect(leases()).toHaveLength(2);
      expect(await mountsUnder(containerd.workDir)).not.toHaveLength(0);
    } finally {
      client.close();
    }

    process.kill(containerd.pid, 'SIGKILL');
    // The exit event comes on a later turn of the loop.
    for (let i = 0; i < 100 && containerd.diedBecause() === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(containerd.diedBecause()).toBe('exited with SIGKILL');
    await containerd.stop();

    expect(existsSync(containerd.workDir)).toBe(false);
    expect(await mountsUnder(containerd.workDir)).toEqual([]);
    expect(processesNaming(containerd.workDir)).toEqual([]);
    expect(leases()).toEqual([]);
    expect(netnsPins().filter((pin) => !pinsBefore.has(pin))).toEqual([]);
  });
});
