// A RunPodSandbox whose client deadline passes while a CNI plugin runs, against a real berth
// with real runc and CNI plugins: the `bridge` plugin is made slow by a wrapper script in a bin
// dir in front of the real plugins (it sleeps in a child process before it execs the real
// bridge). The client gets DEADLINE_EXCEEDED, berth kills the plugin and its sleeping child,
// undoes what the sandbox had (namespaces, pod cgroup, CNI attachment) and lists no sandbox;
// the leak sweep finds nothing. A retry once the plugin is fast again makes the pod. An ExecSync
// whose client deadline passes has its command killed in the container.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PodSandboxConfig } from '../../../api/cri/messages.js';
import { CriClient } from '../../../cri/client/cri-client.js';
import { criWorld, processRunning } from '../../harness/cri-world.js';
import { eventually } from '../../harness/eventually.js';

const cgroupTop = 'berth-deadlines';
const binDir = mkdtempSync(join(tmpdir(), 'berth-slow-cni-'));
// Registered before the world's: after-hooks run last-registered first, so this goes after berth.
afterAll(() => rmSync(binDir, { recursive: true, force: true }));
/** While this file exists the wrapper sleeps on ADD. */
const slowFlag = join(binDir, 'slow');
/** The wrapper writes its sleeping child's pid here. */
const sleeperPidFile = join(binDir, 'sleeper.pid');
// Plugins get no environment of berth's beyond CNI_* and PATH: the paths are written in.
writeFileSync(
  join(binDir, 'bridge'),
  ['#!/bin/sh', `if [ "$CNI_COMMAND" = ADD ] && [ -e ${slowFlag} ]; then`, '  sleep 60 &', `  echo $! > ${sleeperPidFile}`, '  wait $!', 'fi', 'exec /usr/lib/cni/bridge', ''].join('\n'),
);
chmodSync(join(binDir, 'bridge'), 0o755);
const world = criWorld({ name: 'deadlines', octet: 125, cgroupTop, berth: () => ({ args: ['--cni-bin-dir', `${binDir}:/usr/lib/cni:/opt/cni/bin`] }) });

function podConfig(name: string): PodSandboxConfig {
  const uid = `${name}uid`;
  return {
    metadata: { name, namespace: 'default', uid, attempt: 0 },
    linux: { cgroupParent: `${cgroupTop}/pod${uid}` },
  };
}

describe('a RunPodSandbox whose client deadline passes in a slow CNI plugin (real berth, real CNI)', () => {
  it("answers DEADLINE_EXCEEDED, kills the plugin's child and leaves nothing half-made", async () => {
    writeFileSync(slowFlag, '');
    const hurried = new CriClient({ endpoint: world.berth.socket, timeoutMs: 2_000 });
    const started = Date.now();
    try {
      await expect(hurried.runPodSandbox(podConfig('deadline'))).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    } finally {
      hurried.close();
    }
    expect(Date.now() - started).toBeLessThan(10_000);

    // The plugin was running when the deadline passed: its sleeping child was started, then killed.
    expect(existsSync(sleeperPidFile)).toBe(true);
    const sleeper = Number(readFileSync(sleeperPidFile, 'utf8').trim());
    expect(sleeper).toBeGreaterThan(0);
    await eventually(async () => (processRunning(sleeper) ? undefined : true), 50);

    // The undo runs after the answer: no sandbox, and nothing of it on the host.
    await eventually(async () => ((await world.client.listPodSandbox()).items.length === 0 ? true : undefined));
    expect(await world.leaksAfterUndo()).toBe('');
    // berth saw the deadline, not a plugin failure.
    expect(readFileSync(world.berth.logPath, 'utf8')).toMatch(/the client's deadline for RunPodSandbox passed/);
  });

  it('makes the pod on a retry once the plugin is fast again (the name is not held by the cancelled call)', async () => {
    rmSync(slowFlag, { force: true });
    const { podSandboxId } = await world.client.runPodSandbox(podConfig('deadline'));
    const status = await world.client.podSandboxStatus(podSandboxId);
    expect(status.status?.state).toBe('SANDBOX_READY');
    expect(status.status?.network?.ip).toMatch(world.network.ipPattern);
    await world.client.stopPodSandbox(podSandboxId);
    await world.client.removePodSandbox(podSandboxId);
    expect(await world.leaksAfterUndo()).toBe('');
  });
});

/** Host pids whose command line is exactly `argv`. */
async function processesRunning(argv: string[]): Promise<number[]> {
  const wanted = `${argv.join('\0')}\0`;
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if ((await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')) === wanted && processRunning(Number(name))) found.push(Number(name));
  }
  return found;
}

describe('a RunPodSandbox retried while the first call is still in flight (real berth, real CNI)', () => {
  it('waits for the first, killed by its deadline and undone, then makes the one sandbox', async () => {
    writeFileSync(slowFlag, '');
    rmSync(sleeperPidFile, { force: true });
    const hurried = new CriClient({ endpoint: world.berth.socket, timeoutMs: 2_000 });
    try {
      const first = hurried.runPodSandbox(podConfig('retried'));
      // The first is inside the slow plugin; the plugin will be fast for whoever comes next.
      const waitUntil = Date.now() + 1_500;
      while (!existsSync(sleeperPidFile) && Date.now() < waitUntil) await new Promise((resolve) => setTimeout(resolve, 25));
      rmSync(slowFlag, { force: true });
      const retry = world.client.runPodSandbox(podConfig('retried'));
      await expect(first).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
      const { podSandboxId } = await retry;
      const pods = (await world.client.listPodSandbox()).items.filter((p) => p.metadata?.name === 'retried');
      expect(pods.map((p) => p.id)).toEqual([podSandboxId]);
      expect((await world.client.podSandboxStatus(podSandboxId)).status?.state).toBe('SANDBOX_READY');
      await world.client.stopPodSandbox(podSandboxId);
      await world.client.removePodSandbox(podSandboxId);
      expect(await world.leaksAfterUndo()).toBe('');
    } finally {
      hurried.close();
    }
  });
});

describe('an ExecSync whose client deadline passes (real berth, runc)', () => {
  it('answers DEADLINE_EXCEEDED and kills the command in the container', async () => {
    const pod = podConfig('exec');
    const { podSandboxId } = await world.client.runPodSandbox(pod);
    const image = `${world.registry}/busybox:latest`;
    await world.client.pullImage(image);
    const { containerId } = await world.client.createContainer(podSandboxId, { metadata: { name: 'idle' }, image: { image }, command: ['sleep', '3600'] }, pod);
    await world.client.startContainer(containerId);
    // A command no other test runs, to find it on the host.
    const command = ['sleep', '613'];
    const hurried = new CriClient({ endpoint: world.berth.socket, timeoutMs: 3_000 });
    try {
      // No ExecSync timeout of its own: only the client's deadline ends it.
      const exec = hurried.execSync(containerId, command, 0);
      const seenUntil = Date.now() + 2_500;
      while ((await processesRunning(command)).length === 0 && Date.now() < seenUntil) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await processesRunning(command)).toHaveLength(1);
      await expect(exec).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    } finally {
      hurried.close();
    }
    const waitUntil = Date.now() + 10_000;
    while ((await processesRunning(command)).length > 0 && Date.now() < waitUntil) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await processesRunning(command)).toEqual([]);
    // The container itself runs on.
    expect((await world.client.containerStatus(containerId)).status?.state).toBe('CONTAINER_RUNNING');
    await world.client.stopPodSandbox(podSandboxId);
    await world.client.removePodSandbox(podSandboxId);
    expect(await world.leaksAfterUndo()).toBe('');
  });
});
