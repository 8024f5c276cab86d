// The workflow a person runs with crictl against berth, end to end, with the real crictl, the
// seeded registry, runc under conmon and the real CNI plugins.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CriClient } from '../../../cri/client/cri-client.js';
import { berthFixture } from '../../harness/berth-fixture.js';

const fixture = berthFixture('lifecycle', 241);
const { work, writeJson } = fixture;

describe('crictl against berth', () => {
  const image = `${fixture.registry}/busybox:latest`;
  let podId = '';
  let containerId = '';

  it('pulls a single-manifest image and an image index', async () => {
    expect(await fixture.berth.crictl('pull', image)).toMatch(/Image is up to date for sha256:[a-f0-9]{64}/);
    expect(await fixture.berth.crictl('pull', `${fixture.registry}/busybox:index`)).toMatch(/sha256:[a-f0-9]{64}/);
    const images = await fixture.berth.crictl('images');
    expect(images).toContain(`${fixture.registry}/busybox`);
  });

  it('runs a pod sandbox with an IP from the CNI bridge', async () => {
    const pod = writeJson('pod.json', {
      metadata: { name: 'lifecycle', namespace: 'default', uid: 'lifecycle-uid', attempt: 0 },
      hostname: 'lifecycle',
      log_directory: join(work, 'logs'),
      linux: {},
    });
    podId = (await fixture.berth.crictl('runp', pod)).trim();
    expect(podId).toMatch(/^[a-f0-9]{64}$/);
    const status = JSON.parse(await fixture.berth.crictl('inspectp', podId)) as { status: { state: string; network: { ip: string } } };
    expect(status.status.state).toBe('SANDBOX_READY');
    expect(status.status.network.ip).toMatch(fixture.network.ipPattern);
  });

  it('creates and starts a container whose output reaches crictl logs', async () => {
    const container = writeJson('container.json', {
      metadata: { name: 'hello' },
      image: { image },
      command: ['sh', '-c', 'echo hello from berth; echo to stderr >&2; sleep 3600'],
      log_path: 'hello/0.log',
      linux: {},
    });
    containerId = (await fixture.berth.crictl('create', podId, container, join(work, 'pod.json'))).trim();
    expect(containerId).toMatch(/^[a-f0-9]{64}$/);
    await fixture.berth.crictl('start', containerId);
    const ps = await fixture.berth.crictl('ps', '--id', containerId, '-o', 'json');
    expect((JSON.parse(ps) as { containers: { state: string }[] }).containers[0]?.state).toBe('CONTAINER_RUNNING');
    let logs = '';
    for (let attempt = 0; attempt < 50 && !logs.includes('hello from berth'); attempt++) {
      logs = (await fixture.berth.crictlResult('logs', containerId)).stdout;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(logs).toContain('hello from berth');
  });

  it('runs a command in the container with exec (sync)', async () => {
    expect((await fixture.berth.crictl('exec', '--sync', containerId, 'cat', '/etc/berth-image')).trim()).toBe("hello from berth's busybox image");
    // crictl folds every failure into exit 1 and names the real code in its message.
    const failing = await fixture.berth.crictlResult('exec', '--sync', containerId, 'sh', '-c', 'exit 3');
    expect(failing.exitCode).not.toBe(0);
    expect(failing.stderr).toContain("'sh -c exit 3' exited with 3");
    const client = new CriClient({ endpoint: fixture.berth.socket });
    try {
      expect((await client.execSync(containerId, ['sh', '-c', 'echo out; echo err >&2; exit 3'], 10)).exitCode).toBe(3);
    } finally {
      client.close();
    }
  });

  it('inspects the container with its image, log path and state', async () => {
    const status = JSON.parse(await fixture.berth.crictl('inspect', containerId)) as {
      status: { state: string; image: { image: string }; logPath: string; imageRef: string };
    };
    expect(status.status.state).toBe('CONTAINER_RUNNING');
    expect(status.status.logPath).toBe(join(work, 'logs', 'hello/0.log'));
    expect(status.status.imageRef).toMatch(/sha256:[a-f0-9]{64}/);
  });

  it('stops the container (SIGKILL after the timeout) and removes it, then the pod and the image', async () => {
    await fixture.berth.crictl('stop', '--timeout', '1', containerId);
    const status = JSON.parse(await fixture.berth.crictl('inspect', containerId)) as { status: { state: string; exitCode: number } };
    expect(status.status.state).toBe('CONTAINER_EXITED');
    expect(status.status.exitCode).toBe(137);
    await fixture.berth.crictl('rm', containerId);
    await fixture.berth.crictl('stopp', podId);
    await fixture.berth.crictl('rmp', podId);
    expect((await fixture.berth.crictl('pods', '-q')).trim()).toBe('');
    await fixture.berth.crictl('rmi', image);
    expect(await fixture.berth.crictl('images', '-q')).not.toContain(image);
  });

  it('answers imagefsinfo', async () => {
    const info = JSON.parse(await fixture.berth.crictl('imagefsinfo')) as { status: { imageFilesystems: unknown[] } };
    expect(info.status.imageFilesystems).toHaveLength(1);
  });
});
