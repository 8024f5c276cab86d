// The world of a CRI integration file that drives berth over its socket on a CNI network of the
// file's own: the runtime started with the test registry and that network (plus the file's own
// flags), a CRI client, the leak-sweep target, and the clean-up (pods the file left, the runtime,
// the network, the file's pod cgroups).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, inject } from 'vitest';
import { CriClient } from '../../cri/client/cri-client.js';
import { startBerth, type Berth } from './berth.js';
import { removeTestCgroupParents } from './cgroups.js';
import { cniTestNetwork, type CniTestNetwork } from './cni-network.js';
import { describeLeaks, sweepLeaks, type Leak, type LeakSweepTarget } from './leak-sweep.js';

export interface CriWorldOptions {
  name: string;
  /** The file's CNI subnet octet (10.244.<octet>.0/24). */
  octet: number;
  /** The cgroup parent the file's pods go below (their cgroup_parent starts with it). */
  cgroupTop: string;
  /** More for `berth runtime`, decided once the file's own beforeAll has run: flags, a command prefix. */
  berth?: () => { args?: string[]; enter?: string[] };
  clientTimeoutMs?: number;
}

/** Registers the file's beforeAll/afterAll (call it before the file's own beforeAll that needs it). */
export function criWorld(options: CriWorldOptions) {
  const registry = inject('registryHost');
  let berth: Berth | undefined;
  let network: CniTestNetwork | undefined;
  let client: CriClient | undefined;
  let target: LeakSweepTarget | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the CRI world is not started (its beforeAll failed)');
    return value;
  };
  /** While berth runs, the private bind mount its namespace pins live under is its own. */
  const withoutPinRoot = (leaks: Leak[]): Leak[] => leaks.filter((leak) => !(leak.kind === 'mount' && leak.what.endsWith(` ${started(target).stateDir}/sandboxes`)));

  beforeAll(async () => {
    network = cniTestNetwork(options.name, options.octet, { ipMasq: true });
    const extra = options.berth?.() ?? {};
    berth = await startBerth({ args: ['--insecure-registry', registry, '--cni-conf-dir', network.confDir, ...(extra.args ?? [])], ...(extra.enter ? { enter: extra.enter } : {}) });
    target = {
      rootDir: berth.rootDir,
      stateDir: berth.stateDir,
      network: { name: network.name, bridge: network.bridge, subnet: network.subnet, ipamDir: network.ipamDir },
      cgroupParents: [options.cgroupTop],
    };
    client = new CriClient({ endpoint: berth.socket, timeoutMs: options.clientTimeoutMs ?? 30_000 });
  });

  afterAll(async () => {
    if (client) {
      for (const item of (await client.listPodSandbox().catch(() => ({ items: [] }))).items) await client.removePodSandbox(item.id).catch(() => undefined);
      client.close();
    }
    await berth?.stop();
    await network?.remove();
    removeTestCgroupParents(options.cgroupTop);
  });

  return {
    registry,
    get berth(): Berth {
      return started(berth);
    },
    get network(): CniTestNetwork {
      return started(network);
    },
    get client(): CriClient {
      return started(client);
    },
    /** What berth left on the host now (its own pin root left out). */
    leaks: async (): Promise<Leak[]> => withoutPinRoot(await sweepLeaks(started(target))),
    /** What is left on the host, given up to 15 s for the undo that runs after a cancelled call's answer. */
    async leaksAfterUndo(): Promise<string> {
      let leaks = await this.leaks();
      for (const waitUntil = Date.now() + 15_000; leaks.length > 0 && Date.now() < waitUntil; leaks = await this.leaks()) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return describeLeaks(leaks);
    },
  };
}

/** Whether `pid` is alive and not a zombie. */
export function processRunning(pid: number): boolean {
  let stat = '';
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}
