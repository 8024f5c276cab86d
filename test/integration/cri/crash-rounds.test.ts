// berth SIGKILLed at random points inside RunPodSandbox, CreateContainer and PullImage, then
// restarted on the same root and state dirs: every object is either fully there (and still
// stops and removes) or fully gone, and nothing is left on the host. Real runc, conmon, CNI
// plugins (bridge with ipMasq, host-local, portmap) and registry.
//
// The delays are drawn from a seeded generator; the seed is printed, and
// BERTH_CRASH_SEED=<seed> replays the same rounds (BERTH_CRASH_ROUNDS changes their number).
import { execa } from 'execa';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PodSandboxConfig } from '../../../api/cri/messages.js';
import { CriClient } from '../../../cri/client/cri-client.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { removeTestCgroupParents } from '../../harness/cgroups.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';
import { describeLeaks, sweepLeaks, type Leak, type LeakSweepTarget } from '../../harness/leak-sweep.js';

const registry = inject('registryHost');
const image = `${registry}/busybox:latest`;
const cgroupTop = 'berth-crash-rounds';
const seed = Number(process.env['BERTH_CRASH_SEED'] || Date.now() % 2 ** 31);
const roundCount = Number(process.env['BERTH_CRASH_ROUNDS'] || 20);

type Operation = 'RunPodSandbox' | 'CreateContainer' | 'PullImage';
const operations: Operation[] = ['RunPodSandbox', 'CreateContainer', 'PullImage'];

/** mulberry32: small, seeded, good enough to spread kill points. */
function random(seedValue: number): () => number {
  let state = seedValue >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

let network: CniTestNetwork;
let berth: Berth;
let target: LeakSweepTarget;
let berthArgs: string[];

function pod(tag: string, hostPort: number): PodSandboxConfig {
  const uid = `crash${tag}uid`;
  return {
    metadata: { name: `crash-${tag}`, namespace: 'default', uid, attempt: 0 },
    portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort, hostIp: '127.0.0.1' }],
    // A pod-wide pid namespace: its holder process is one more thing a crash may leave.
    linux: { cgroupParent: `${cgroupTop}/pod${uid}`, securityContext: { namespaceOptions: { pid: 'POD' } } },
  };
}

const container = { metadata: { name: 'sleeper' }, image: { image }, command: ['sleep', '3600'] };

async function withClient<T>(work: (client: CriClient) => Promise<T>): Promise<T> {
  const client = new CriClient({ endpoint: berth.socket });
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

/** While berth runs, the private bind mount its namespace pins live under is its own. */
function withoutPinRoot(leaks: Leak[]): Leak[] {
  return leaks.filter((leak) => !(leak.kind === 'mount' && leak.what.endsWith(` ${target.stateDir}/sandboxes`)));
}

/**
 * Findings that belong to no live object (`live`: sandbox and container ids, and the pod<uid>
 * names of live pods' cgroups). Veths name no pod: they are counted against the pods instead.
 */
function unexplained(leaks: Leak[], live: Set<string>): Leak[] {
  const podCgroup = (leak: Leak): boolean => leak.kind === 'cgroup' && [...live].some((name) => leak.what.endsWith(`/${name}`));
  return withoutPinRoot(leaks).filter((leak) => !(leak.owner && live.has(leak.owner)) && !podCgroup(leak) && leak.kind !== 'veth');
}

beforeAll(async () => {
  network = cniTestNetwork('crash', 170, { ipMasq: true });
  berthArgs = ['--insecure-registry', registry, '--cni-conf-dir', network.confDir];
  berth = await startBerth({ args: berthArgs });
  target = {
    rootDir: berth.rootDir,
    stateDir: berth.stateDir,
    network: { name: network.name, bridge: network.bridge, subnet: network.subnet, ipamDir: network.ipamDir },
    cgroupParents: [cgroupTop],
  };
  console.log(`crash rounds: seed ${seed}, ${roundCount} rounds (replay: BERTH_CRASH_SEED=${seed})`);
});

afterAll(async () => {
  const removeAll = (): Promise<void> =>
    withClient(async (client) => {
      for (const item of (await client.listPodSandbox()).items) await client.removePodSandbox(item.id);
    });
  // A round that failed may have left berth killed: a berth on the same dirs cleans up its pods.
  await removeAll()
    .catch(async () => {
      berth = await startBerth({ workDir: berth.workDir, args: berthArgs });
      await removeAll();
    })
    .catch(() => undefined);
  await berth?.stop();
  await network?.remove();
  removeTestCgroupParents(cgroupTop);
});

/** What berth's start said it removed (the recovery's warnings), from its JSON log. */
function recoveryLines(log: string): string[] {
  const said = log
    .split('\n')
    .map((line) => /"msg":"([^"]*(cut short|no record names)[^"]*)"/.exec(line)?.[1])
    .filter((msg): msg is string => msg !== undefined);
  return [...new Set(said)].map((msg) => `${said.filter((m) => m === msg).length}× ${msg}`);
}

/** The request whose handling berth dies in; resolves once it is sent (its answer is never awaited). */
async function prepareAndFire(op: Operation, tag: string, hostPort: number, client: CriClient): Promise<void> {
  const config = pod(tag, hostPort);
  const ignore = (): undefined => undefined;
  if (op === 'RunPodSandbox') {
    client.runPodSandbox(config).catch(ignore);
  } else if (op === 'CreateContainer') {
    const podId = (await client.runPodSandbox(config)).podSandboxId;
    client.createContainer(podId, container, config).catch(ignore);
  } else {
    await client.removeImage(image);
    client.pullImage(image).catch(ignore);
  }
}

/** How long each operation takes when nothing kills it: the window a kill point is drawn from. */
async function measure(op: Operation): Promise<number> {
  return withClient(async (client) => {
    const config = pod(`measure-${op.toLowerCase()}`, 31169);
    let podId = '';
    if (op === 'CreateContainer') podId = (await client.runPodSandbox(config)).podSandboxId;
    if (op === 'PullImage') await client.removeImage(image);
    const started = performance.now();
    if (op === 'RunPodSandbox') podId = (await client.runPodSandbox(config)).podSandboxId;
    else if (op === 'CreateContainer') await client.createContainer(podId, container, config);
    else await client.pullImage(image);
    const took = performance.now() - started;
    if (podId) await client.removePodSandbox(podId);
    return took;
  });
}

/** Everything listed must work: a ready pod has its address, a container starts and execs, the image runs. */
async function checkLiveObjectsWork(client: CriClient, tag: string): Promise<void> {
  const pods = (await client.listPodSandbox()).items;
  for (const item of pods) {
    const status = (await client.podSandboxStatus(item.id)).status;
    expect(status?.state, `pod ${item.id} after restart`).toBe('SANDBOX_READY');
    expect(status?.network?.ip).toMatch(network.ipPattern);
  }
  for (const c of (await client.listContainers()).containers) {
    if (c.state === 'CONTAINER_CREATED') await client.startContainer(c.id);
    expect((await client.execSync(c.id, ['echo', 'alive'], 10)).stdout.toString()).toBe('alive\n');
  }
  // The image, whether the killed pull finished or not, pulls and runs.
  await client.pullImage(image);
  if (pods.length === 0) {
    const config = pod(`${tag}-probe`, 31168);
    const podId = (await client.runPodSandbox(config)).podSandboxId;
    const { containerId } = await client.createContainer(podId, container, config);
    await client.startContainer(containerId);
    expect((await client.execSync(containerId, ['echo', 'alive'], 10)).stdout.toString()).toBe('alive\n');
  }
}

describe('berth killed at random points (SIGKILL) and restarted on the same dirs', () => {
  it('releases the address and deletes the ipMasq chain of a pod whose netns was gone before its DEL', async () => {
    const config = pod('lost-netns', 31167);
    const podId = await withClient(async (client) => (await client.runPodSandbox(config)).podSandboxId);
    await berth.kill();
    // The pin goes while berth is away (a lost state dir, an admin's umount): DEL runs without netns.
    await execa('umount', [join(berth.stateDir, 'sandboxes', podId, 'ns/net')]);
    berth = await startBerth({ workDir: berth.workDir, args: berthArgs });
    await withClient(async (client) => {
      await client.stopPodSandbox(podId);
      await client.removePodSandbox(podId);
    });
    expect(describeLeaks(withoutPinRoot(await sweepLeaks(target)))).toBe('');
  });

  it(`leaves every object fully there or fully gone, and nothing on the host, over ${roundCount} rounds`, async () => {
    const windows = new Map<Operation, number>();
    await withClient((client) => client.pullImage(image));
    for (const op of operations) windows.set(op, await measure(op));
    console.log(`crash rounds: unkilled durations ${[...windows].map(([op, ms]) => `${op} ${ms.toFixed(0)} ms`).join(', ')}`);

    const next = random(seed);
    const results: string[] = [];
    for (let round = 0; round < roundCount; round++) {
      const op = operations[round % operations.length] as Operation;
      // Up to 30% past the usual duration, so some kills land after the answer.
      const delayMs = Math.round(next() * (windows.get(op) ?? 500) * 1.3);
      const tag = `r${round}`;
      const startedAt = performance.now();
      await withClient(async (client) => {
        await prepareAndFire(op, tag, 31170 + round, client);
        await sleep(delayMs);
        await berth.kill();
      });
      const logOffset = statSync(berth.logPath).size;
      berth = await startBerth({ workDir: berth.workDir, args: berthArgs });
      const corrections = recoveryLines(readFileSync(berth.logPath, 'utf8').slice(logOffset));

      const seen = await withClient(async (client) => {
        const items = (await client.listPodSandbox()).items;
        const pods = items.map((p) => p.id);
        const containers = (await client.listContainers()).containers.map((c) => c.id);
        const images = (await client.listImages()).images.length;
        const live = new Set([...pods, ...containers, ...items.map((p) => `pod${p.metadata?.uid ?? ''}`)]);
        const leaks = await sweepLeaks(target);
        expect(describeLeaks(unexplained(leaks, live)), `round ${round} (${op}, kill after ${delayMs} ms, seed ${seed}): left behind`).toBe('');
        expect(
          leaks.filter((l) => l.kind === 'veth'),
          `round ${round}: one veth per pod`,
        ).toHaveLength(pods.length);
        await checkLiveObjectsWork(client, tag);
        for (const id of (await client.listPodSandbox()).items.map((p) => p.id)) {
          await client.stopPodSandbox(id);
          await client.removePodSandbox(id);
        }
        return `${pods.length} pod(s), ${containers.length} container(s), ${images} image(s)`;
      });
      const after = withoutPinRoot(await sweepLeaks(target));
      expect(describeLeaks(after), `round ${round} (${op}, kill after ${delayMs} ms, seed ${seed}): left after removing everything`).toBe('');
      const repaired = corrections.length > 0 ? corrections.join(', ') : 'nothing half-made';
      results.push(`round ${round}: ${op} killed after ${delayMs} ms → ${seen} there; at start: ${repaired}; ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
    }
    console.log(results.join('\n'));

    // berth itself, stopped, leaves nothing either (its pin root mount goes with it).
    await berth.shutdown();
    expect(describeLeaks(await sweepLeaks(target)), 'after berth stopped').toBe('');
  }, 900_000);
});
