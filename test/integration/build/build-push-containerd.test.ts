// An image berth built runs unchanged elsewhere: `berth build` makes it on berth's runtime,
// `berth push` puts it in a writable docker-registry, and the pinned containerd 2.x pulls it
// through its own CRI (verifying every digest its way) and runs it under runc. The output
// proves the layers (a COPY, a RUN, a whiteout) and the config (ENTRYPOINT, ENV, WORKDIR) came
// through as berth wrote them.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { packageRoot } from '../../../common/package-root.js';
import { CriClient } from '../../../cri/client/cri-client.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { removeTestCgroupParents } from '../../harness/cgroups.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';
import { startContainerd } from '../../harness/containerd.js';
import { startRegistry, type Registry } from '../../harness/registry.js';

const seeded = inject('registryHost');
let berth: Berth;
let network: CniTestNetwork;
let registry: Registry;
let work = '';
let storage = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-build-push-'));
  storage = await mkdtemp(join(tmpdir(), 'berth-build-registry-'));
  registry = await startRegistry({ storageDir: storage, readOnly: false });
  network = cniTestNetwork('build-push', 194);
  berth = await startBerth({ args: ['--insecure-registry', seeded, '--insecure-registry', registry.host, '--cni-conf-dir', network.confDir] });
});

afterAll(async () => {
  await berth?.stop();
  await registry?.stop();
  await network?.remove();
  removeTestCgroupParents('berth');
  for (const dir of [work, storage]) if (dir) await rm(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  execa(process.execPath, [join(packageRoot(), 'bin/berth.js'), ...args], {
    env: { CONTAINER_RUNTIME_ENDPOINT: `unix://${berth.socket}`, DOCKER_CONFIG: join(work, 'docker') },
    reject: false,
    timeout: 180_000,
    stdin: 'ignore',
  });

async function ok(...args: string[]): Promise<string> {
  const result = await cli(...args);
  expect(result.exitCode, `berth ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** The text a CRI log file holds (`<time> <stream> <tag> <text>` lines). */
const logText = (file: string) =>
  file
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ').slice(3).join(' '))
    .join('\n');

describe('an image built by berth, pushed, and run by containerd 2', () => {
  it('pushes the built image to a registry, and containerd pulls and runs it as berth would', async () => {
    const context = join(work, 'context');
    await mkdir(context, { recursive: true });
    await writeFile(join(context, 'greeting.txt'), 'built by berth\n');
    await writeFile(
      join(context, 'Dockerfile'),
      `FROM ${seeded}/busybox:latest\nENV WHO=containerd\nWORKDIR /app\nCOPY greeting.txt .\nRUN echo "run by $WHO" >> greeting.txt && rm /bin/dmesg\nENTRYPOINT ["sh", "-c", "cat /app/greeting.txt; pwd; test -e /bin/dmesg || echo no dmesg"]\n`,
    );
    const target = `${registry.host}/course/built:1`;
    const build = await cli('build', '-q', '--log-root', join(work, 'logs'), '-t', target, context);
    expect(build.exitCode, build.stderr).toBe(0);
    const pushed = await ok('push', target);
    expect(pushed.split('\n').at(-1)).toMatch(/^1: digest: sha256:[0-9a-f]{64} size: \d+$/);
    // containerd's pods need their pause image from the same registry.
    await ok('pull', `${seeded}/pause:3.9`);
    await ok('tag', `${seeded}/pause:3.9`, `${registry.host}/pause:3.9`);
    await ok('push', `${registry.host}/pause:3.9`);

    const containerd = await startContainerd({ registryHost: registry.host, cniConfDir: network.confDir, release: '2' });
    const client = new CriClient({ endpoint: containerd.socket, timeoutMs: 120_000 });
    try {
      await client.pullImage(target);
      const logDirectory = join(work, 'containerd-logs');
      await mkdir(logDirectory, { recursive: true });
      const pod = { metadata: { name: 'built', namespace: 'build', uid: 'build-push-1', attempt: 0 }, logDirectory };
      const { podSandboxId } = await client.runPodSandbox(pod);
      const { containerId } = await client.createContainer(podSandboxId, { metadata: { name: 'built' }, image: { image: target }, logPath: 'built.log' }, pod);
      await client.startContainer(containerId);
      let state: string | undefined;
      for (let i = 0; i < 300 && state !== 'CONTAINER_EXITED'; i++) {
        state = (await client.containerStatus(containerId)).status?.state;
        if (state !== 'CONTAINER_EXITED') await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await client.containerStatus(containerId)).status?.exitCode).toBe(0);
      expect(logText(await readFile(join(logDirectory, 'built.log'), 'utf8'))).toBe('built by berth\nrun by containerd\n/app\nno dmesg');
    } finally {
      client.close();
      await containerd.stop();
    }
  });
});
