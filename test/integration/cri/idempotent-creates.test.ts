// Idempotent creates over the CRI socket, against a real berth with real runc, conmon and CNI
// plugins (containerd's name index, CRI-O's getResourceOrWait): a duplicate RunPodSandbox or
// CreateContainer that arrives while the first is provably in flight gets the first's object,
// made once; a first caller killed in the middle (a real crictl process, SIGKILLed) leaves
// nothing half-made, and a retry makes the object.
//
// "In flight" is made visible and held by wrapper scripts in front of the real programs: the
// `bridge` CNI plugin (on ADD) and `runc` (on create, found first on berth's PATH) append their
// pid to a file and wait while a hold file exists, then exec the real program. Each wrapper's
// file counts how often the real step ran.
import { execa, execaSync } from 'execa';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerConfig, PodSandboxConfig } from '../../../api/cri/messages.js';
import { criWorld, processRunning } from '../../harness/cri-world.js';
import { eventually } from '../../harness/eventually.js';
import { goTool } from '../../harness/tools.js';

const cgroupTop = 'berth-idempotent';
/** The wrappers and their files; made before berth starts, which finds them first on its PATH. */
const binDir = mkdtempSync(join(tmpdir(), 'berth-held-steps-'));
// Registered before the world's: after-hooks run last-registered first, so this goes after berth.
afterAll(() => rmSync(binDir, { recursive: true, force: true }));
const world = criWorld({
  name: 'idempotent',
  octet: 186,
  cgroupTop,
  clientTimeoutMs: 60_000,
  berth: () => ({
    args: ['--runtime', 'runc', '--cni-bin-dir', `${binDir}:/usr/lib/cni:/opt/cni/bin`],
    enter: ['env', `PATH=${binDir}:${process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`],
  }),
});
const image = `${world.registry}/busybox:latest`;

/** A held step: its hold file, and the file each run appends its pid to. */
interface Held {
  hold: string;
  runs: string;
}

function wrapper(path: string, held: Held, when: string, real: string): void {
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      `if ${when}; then`,
      `  echo $$ >> ${held.runs}`,
      `  while [ -e ${held.hold} ]; do sleep 0.05; done`,
      // Orphaned while held (its caller was killed): the step must not go on.
      '  kill -0 $PPID 2>/dev/null || exit 1',
      'fi',
      `exec ${real} "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
}

function runsOf(held: Held): number[] {
  return existsSync(held.runs) ? readFileSync(held.runs, 'utf8').trim().split('\n').filter(Boolean).map(Number) : [];
}

/** Runs `act` with the step held; resolves once a run of the step is waiting, with `release` to let it go on. */
async function holdStep<T>(held: Held, act: () => T): Promise<{ acting: T; release: () => void }> {
  rmSync(held.runs, { force: true });
  writeFileSync(held.hold, '');
  const acting = act();
  await eventually(async () => (runsOf(held).length > 0 ? true : undefined), 50);
  return { acting, release: () => rmSync(held.hold, { force: true }) };
}

function podConfig(name: string): PodSandboxConfig {
  const uid = `${name}uid`;
  return { metadata: { name, namespace: 'default', uid, attempt: 0 }, linux: { cgroupParent: `${cgroupTop}/pod${uid}` } };
}

const appConfig: ContainerConfig = { metadata: { name: 'app', attempt: 0 }, image: { image }, command: ['sleep', '3600'] };

/** A real crictl process making `args`' call, to be killed in the middle of it. */
function crictl(args: string[]) {
  const call = execa(goTool('crictl'), ['--runtime-endpoint', `unix://${world.berth.socket}`, '--image-endpoint', `unix://${world.berth.socket}`, '--timeout', '60s', ...args], { reject: false });
  call.catch(() => undefined);
  return call;
}

const cniAdd: Held = { hold: join(binDir, 'hold-cni'), runs: join(binDir, 'cni-adds') };
const runcCreate: Held = { hold: join(binDir, 'hold-create'), runs: join(binDir, 'runc-creates') };
// Plugins get no environment of berth's beyond CNI_* and PATH: the paths are written in.
wrapper(join(binDir, 'bridge'), cniAdd, '[ "$CNI_COMMAND" = ADD ]', '/usr/lib/cni/bridge');
wrapper(join(binDir, 'runc'), runcCreate, 'case " $* " in *" create "*) true;; *) false;; esac', execaSync('sh', ['-c', 'command -v runc']).stdout.trim());

beforeAll(async () => {
  await world.client.pullImage(image);
});

describe('duplicate creates while the first is in flight (real berth, runc, conmon, CNI)', () => {
  it('answers two RunPodSandbox calls for one pod, the first inside the CNI plugin, with one sandbox made once', async () => {
    const pod = podConfig('twin');
    const { acting: first, release } = await holdStep(cniAdd, () => world.client.runPodSandbox(pod));
    const second = world.client.runPodSandbox(pod);
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(b.podSandboxId).toBe(a.podSandboxId);
    expect(runsOf(cniAdd)).toHaveLength(1);
    const pods = (await world.client.listPodSandbox()).items.filter((p) => p.metadata?.name === 'twin');
    expect(pods.map((p) => p.id)).toEqual([a.podSandboxId]);
    expect((await world.client.podSandboxStatus(a.podSandboxId)).status?.network?.ip).toMatch(world.network.ipPattern);
    await world.client.stopPodSandbox(a.podSandboxId);
    await world.client.removePodSandbox(a.podSandboxId);
    expect(await world.leaksAfterUndo()).toBe('');
  });

  it('answers two CreateContainer calls, the first inside runc create, with one container created once', async () => {
    const pod = podConfig('twin-app');
    const { podSandboxId } = await world.client.runPodSandbox(pod);
    const { acting: first, release } = await holdStep(runcCreate, () => world.client.createContainer(podSandboxId, appConfig, pod));
    const second = world.client.createContainer(podSandboxId, appConfig, pod);
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(b.containerId).toBe(a.containerId);
    expect(runsOf(runcCreate)).toHaveLength(1);
    const containers = (await world.client.listContainers({ podSandboxId, id: '', state: null, labelSelector: {} })).containers;
    expect(containers.map((c) => c.id)).toEqual([a.containerId]);
    await world.client.startContainer(a.containerId);
    expect((await world.client.containerStatus(a.containerId)).status?.state).toBe('CONTAINER_RUNNING');
    await world.client.stopPodSandbox(podSandboxId);
    await world.client.removePodSandbox(podSandboxId);
    expect(await world.leaksAfterUndo()).toBe('');
  });
});

describe('a create whose client is killed in the middle (real crictl, SIGKILLed)', () => {
  it('leaves no half-made pod sandbox when crictl runp dies inside the CNI plugin; a retry makes the pod', async () => {
    const pod = podConfig('orphan');
    const podFile = join(binDir, 'orphan-pod.json');
    writeFileSync(podFile, JSON.stringify({ metadata: pod.metadata, linux: { cgroup_parent: pod.linux?.cgroupParent } }));
    const { acting: runp, release } = await holdStep(cniAdd, () => crictl(['runp', podFile]));
    const [plugin = 0] = runsOf(cniAdd);
    runp.kill('SIGKILL');
    await runp;
    // berth heard the client go away: it kills the plugin (still held) and undoes the sandbox.
    await eventually(async () => (processRunning(plugin) ? undefined : true), 50);
    release();
    await eventually(async () => ((await world.client.listPodSandbox()).items.length === 0 ? true : undefined));
    expect(await world.leaksAfterUndo()).toBe('');
    expect(readFileSync(world.berth.logPath, 'utf8')).toMatch(/the client cancelled RunPodSandbox/);

    const { podSandboxId } = await world.client.runPodSandbox(pod);
    expect((await world.client.podSandboxStatus(podSandboxId)).status?.state).toBe('SANDBOX_READY');
    await world.client.stopPodSandbox(podSandboxId);
    await world.client.removePodSandbox(podSandboxId);
    expect(await world.leaksAfterUndo()).toBe('');
  });

  it('leaves no container, bundle or rootfs when crictl create dies inside runc create; a retry makes the container', async () => {
    const pod = podConfig('orphan-app');
    const { podSandboxId } = await world.client.runPodSandbox(pod);
    const podFile = join(binDir, 'orphan-app-pod.json');
    const containerFile = join(binDir, 'orphan-app.json');
    writeFileSync(podFile, JSON.stringify({ metadata: pod.metadata, linux: { cgroup_parent: pod.linux?.cgroupParent } }));
    writeFileSync(containerFile, JSON.stringify({ metadata: appConfig.metadata, image: appConfig.image, command: appConfig.command }));
    const { acting: create, release } = await holdStep(runcCreate, () => crictl(['create', podSandboxId, containerFile, podFile]));
    create.kill('SIGKILL');
    await create;
    // berth heard the client go away: conmon is killed and the create undone.
    await eventually(async () => ((await readdir(join(world.berth.stateDir, 'containers'))).length === 0 ? true : undefined));
    release();
    expect((await world.client.listContainers()).containers).toEqual([]);
    expect(readFileSync(world.berth.logPath, 'utf8')).toMatch(/the client cancelled CreateContainer/);

    const { containerId } = await world.client.createContainer(podSandboxId, appConfig, pod);
    await world.client.startContainer(containerId);
    expect((await world.client.containerStatus(containerId)).status?.state).toBe('CONTAINER_RUNNING');
    await world.client.stopPodSandbox(podSandboxId);
    await world.client.removePodSandbox(podSandboxId);
    expect(await world.leaksAfterUndo()).toBe('');
  });
});
