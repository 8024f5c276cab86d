// kill -9 of berth with containers running, then a restart on the same dirs: nothing is lost.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CriClient } from '../../../cri/client/cri-client.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { removeTestCgroupParents } from '../../harness/cgroups.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';

const registry = inject('registryHost');
let network: CniTestNetwork;
let first: Berth;
let second: Berth | undefined;

beforeAll(async () => {
  network = cniTestNetwork('restart', 242);
  first = await startBerth({ args: ['--insecure-registry', registry, '--cni-conf-dir', network.confDir] });
});

afterAll(async () => {
  const last = second ?? first;
  await last.crictlResult('rmp', '--force', '--all');
  await last.stop();
  await network.remove();
  removeTestCgroupParents('berth');
});

describe('berth restart', () => {
  it('keeps running containers, reports exits that happened meanwhile, and their logs go on', async () => {
    const image = `${registry}/busybox:latest`;
    const logDir = join(first.workDir, 'pod-logs');
    const client = new CriClient({ endpoint: first.socket });
    const pod = { metadata: { name: 'survivor', namespace: 'default', uid: 'survivor-uid', attempt: 0 }, logDirectory: logDir };
    let podId: string;
    let tickerId: string;
    let quitterId: string;
    try {
      await client.pullImage(image);
      podId = (await client.runPodSandbox(pod)).podSandboxId;
      tickerId = (
        await client.createContainer(
          podId,
          { metadata: { name: 'ticker' }, image: { image }, command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done'], logPath: 'ticker.log' },
          pod,
        )
      ).containerId;
      await client.startContainer(tickerId);
      // Exits with 7 once the marker file appears — which happens while berth is down.
      quitterId = (
        await client.createContainer(
          podId,
          { metadata: { name: 'quitter' }, image: { image }, command: ['sh', '-c', 'while [ ! -e /tmp/quit ]; do sleep 0.1; done; exit 7'], logPath: 'quitter.log' },
          pod,
        )
      ).containerId;
      await client.startContainer(quitterId);
    } finally {
      client.close();
    }

    await first.kill();
    // berth is gone; conmon keeps both containers. Make the quitter exit now.
    const quitterRootfs = join(first.workDir, 'state/containers', quitterId, 'rootfs/tmp/quit');
    writeFileSync(quitterRootfs, '');
    await new Promise((r) => setTimeout(r, 700));
    const ticksBefore = readFileSync(join(logDir, 'ticker.log'), 'utf8').split('\n').length;

    second = await startBerth({ workDir: first.workDir, args: ['--insecure-registry', registry, '--cni-conf-dir', network.confDir] });
    const after = new CriClient({ endpoint: second.socket });
    try {
      const pods = (await after.listPodSandbox()).items;
      expect(pods.map((p) => p.id)).toEqual([podId]);
      expect(pods[0]?.state).toBe('SANDBOX_READY');
      const ticker = (await after.containerStatus(tickerId)).status;
      expect(ticker?.state).toBe('CONTAINER_RUNNING');
      const quitter = (await after.containerStatus(quitterId)).status;
      expect(quitter).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 7, reason: 'Error' });
      expect((await after.listContainers()).containers).toHaveLength(2);
      await new Promise((r) => setTimeout(r, 600));
      expect(readFileSync(join(logDir, 'ticker.log'), 'utf8').split('\n').length).toBeGreaterThan(ticksBefore);
      expect((await after.execSync(tickerId, ['echo', 'still here'], 10)).stdout.toString()).toBe('still here\n');
    } finally {
      after.close();
    }
  });
});
