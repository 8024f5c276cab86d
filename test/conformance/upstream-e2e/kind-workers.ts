// The three kinds of worker of `npm run conformance`, on the kind world (test/harness/kind-*.ts):
// each run gets a kind cluster of its own, its control plane tainted (as kind leaves it when there
// are workers), so every spec's pods land on its two workers:
//   containerd      run A: kind's own workers (containerd + the pinned upstream kubelet), joined by kind
//   berth           run B: berth node containers joined with `berth join` and the arguments the
//                   control plane's kubeadm prints (berth's kubelet on berth's runtime)
//   upstream-berth  run C: kind workers from berth's node image: the pinned upstream kubelet, joined by
//                   kind's kubeadm, on berth's runtime
// The suite's images come from a registry of the run's own on the kind network's gateway, pulled
// over plain HTTP: containerd through a hosts.toml, berth with --insecure-registry.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { berthCheckoutMounts, type KindBerthNode, startKindBerthNode } from '../../harness/kind-berth-node.js';
import { type KindCluster, kindNetworkSubnet, startKindCluster, tearDownKindWorld } from '../../harness/kind-cluster.js';
import type { TestDockerd } from '../../harness/kind-docker.js';
import type { Registry } from '../../harness/registry.js';
import { type NodeKind, undoAll } from './fixture-nodes.js';
import { startSuiteRegistry } from './suite-images.js';

/** Pods of every run's cluster: 10.244.203.0/24, a /26 per node (this suite's octet). */
const podSubnet = '10.244.203.0/24';
const workerCount = 2;
const berthSocket = 'unix:///run/berth/berth.sock';

export interface KindWorkers {
  kubeconfig: string;
  /** host:port of the registry serving the suite's images, as the nodes reach it. */
  registryHost: string;
  /** The worker Nodes' names. */
  workers: string[];
  /** Seconds from nothing to every worker Ready. */
  setupSeconds: number;
  /** Collects the nodes' logs into logDir, then removes everything. */
  stop(): Promise<void>;
}

/** Polls as eventually() does, but gives up: set-up fails with what it waited for, not at the hook's limit. */
async function pollUntil<T>(what: string, ms: number, intervalMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The kind network's gateway: this host's address on the nodes' network, where the registry listens. */
function gatewayAddress(): string {
  const [network = ''] = kindNetworkSubnet.split('/');
  return network.replace(/\.0$/, '.1');
}

/** The TOML containerd's hosts directory takes for a registry served over plain HTTP. */
export function plainHttpHostsToml(host: string): string {
  return `server = "http://${host}"\n\n[host."http://${host}"]\n  capabilities = ["pull", "resolve"]\n`;
}

/**
 * The berth-runtime unit's command line with the registry added: `systemctl show -p ExecStart`
 * prints "{ path=... ; argv[]=ARGS ; ... }"; a drop-in replaces ExecStart with ARGS + the flag.
 */
export function insecureRegistryExecStart(shown: string, registryHost: string): string {
  const argv = /argv\[\]=(.*?) ;/.exec(shown)?.[1]?.trim();
  if (!argv) throw new Error(`berth-runtime.service: no argv[] in its ExecStart (${shown.trim() || 'empty'})`);
  return `${argv} --insecure-registry ${registryHost}`;
}

/** berth's runtime unit on a node, restarted to pull from the registry over plain HTTP. */
async function letBerthPull(exec: (...command: string[]) => Promise<string>, registryHost: string): Promise<void> {
  const execStart = insecureRegistryExecStart(await exec('systemctl', 'show', 'berth-runtime.service', '-p', 'ExecStart', '--value'), registryHost);
  const dropIn = `[Service]\nExecStart=\nExecStart=${execStart}\n`;
  await exec('sh', '-c', `mkdir -p /etc/systemd/system/berth-runtime.service.d && printf '%s' "$1" >/etc/systemd/system/berth-runtime.service.d/registry.conf`, 'sh', dropIn);
  await exec('systemctl', 'daemon-reload');
  await exec('systemctl', 'restart', 'berth-runtime.service');
  // Answering again once `berth images` reaches it (the socket file may outlive the old process).
  await pollUntil('berth-runtime answering after its restart', 120_000, 500, async () => ((await exec('/usr/local/bin/node', '/opt/berth/bin/berth.js', 'images')) !== undefined ? true : undefined));
}

export async function startKindWorkers(kind: NodeKind, options: { clusterName: string; logDir: string }): Promise<KindWorkers> {
  const started = Date.now();
  const undo: (() => Promise<unknown>)[] = [];
  const hostsDir = mkdtempSync('/tmp/berth-conformance-hosts-');
  undo.push(async () => rmSync(hostsDir, { recursive: true, force: true }));
  mkdirSync(options.logDir, { recursive: true });
  const name = options.clusterName;
  let world: { dir: string; dockerd: TestDockerd; cluster: KindCluster; images: Record<'kind' | 'berth', string | undefined> } | undefined;
  const berthNodes: KindBerthNode[] = [];
  let workers: string[] = [];
  const exec =
    (node: string) =>
    (...command: string[]) =>
      world!.dockerd.docker(['exec', node, ...command], { timeoutMs: 300_000 });
  try {
    world = await startKindCluster({
      flavors: kind === 'containerd' ? ['kind'] : ['kind', 'berth'],
      name,
      nodes: (images) => [
        { role: 'control-plane' },
        ...(kind === 'berth'
          ? []
          : Array.from({ length: workerCount }, () =>
              kind === 'containerd'
                ? { role: 'worker' as const, mounts: [{ hostPath: hostsDir, containerPath: '/etc/containerd/certs.d' }] }
                : {
                    role: 'worker' as const,
                    image: images.berth!,
                    mounts: berthCheckoutMounts(),
                    kubeadmPatches: [`kind: JoinConfiguration\nnodeRegistration:\n  criSocket: ${berthSocket}\ntimeouts:\n  kubeletHealthCheck: 2m\n`],
                  },
            )),
      ],
      shape: {
        podSubnet,
        patches: ['kind: ClusterConfiguration\ncontrollerManager:\n  extraArgs:\n  - name: node-cidr-mask-size\n    value: "26"\n'],
        // The hosts directory (mounted on the workers above) names the registry started below.
        containerdPatches: ['[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'],
      },
    });
    const { dockerd, cluster } = world;
    undo.push(async () => {
      for (const node of berthNodes) {
        for (const unit of ['berth-join', 'berth-runtime']) writeFileSync(join(options.logDir, `${node.name}-${unit}.log`), await node.journal(unit));
        await node.remove();
      }
      await tearDownKindWorld({ ...world, cluster });
    });
    const registry: Registry = await startSuiteRegistry(gatewayAddress());
    undo.push(() => registry.stop());
    mkdirSync(join(hostsDir, registry.host));
    writeFileSync(join(hostsDir, registry.host, 'hosts.toml'), plainHttpHostsToml(registry.host));

    if (kind === 'upstream-berth') {
      workers = [`${name}-worker`, `${name}-worker2`];
      for (const worker of workers) {
        await letBerthPull(exec(worker), registry.host);
        undo.push(async () => writeFileSync(join(options.logDir, `${worker}-berth-runtime.log`), await exec(worker)('journalctl', '--no-pager', '-o', 'cat', '-u', 'berth-runtime')));
      }
    } else if (kind === 'containerd') {
      workers = [`${name}-worker`, `${name}-worker2`];
    } else {
      const controlPlane = `${name}-control-plane`;
      const printed = (await dockerd.docker(['exec', controlPlane, 'kubeadm', 'token', 'create', '--print-join-command'])).trim().split(/\s+/);
      if (printed[0] !== 'kubeadm' || printed[1] !== 'join') throw new Error(`kubeadm printed ${printed.join(' ')}, not a join command`);
      for (let i = 1; i <= workerCount; i++) {
        const node = await startKindBerthNode({ dockerd, name: `${name}-berth${i}`, image: world.images.berth ?? '' });
        berthNodes.push(node);
        await node.exec('systemctl', 'start', 'berth-preload-images.service');
        await letBerthPull(node.exec, registry.host);
        // kubeadm's --cri-socket: the node image's berth runtime service, which holds the preloaded images.
        await node.join([...printed.slice(2), '--cri-socket', berthSocket]);
      }
      workers = berthNodes.map((node) => node.name);
      // kind takes the taint off a control plane with no workers of its own; put back, the suite's
      // pods run on berth's nodes only.
      await pollUntil(
        `${workerCount} berth nodes registered`,
        300_000,
        1_000,
        async () => (await cluster.kubectl('get', 'nodes', '-o', 'name')).trim().split('\n').length === workerCount + 1 || undefined,
      );
      await cluster.kubectl('taint', 'node', controlPlane, 'node-role.kubernetes.io/control-plane:NoSchedule', '--overwrite');
    }
    for (const worker of workers) {
      await pollUntil(`node ${worker} Ready`, 300_000, 1_000, async () =>
        (await cluster.kubectl('get', 'node', worker, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')).trim() === 'True' ? true : undefined,
      );
    }
    const setupSeconds = (Date.now() - started) / 1000;
    return { kubeconfig: cluster.kubeconfig, registryHost: registry.host, workers, setupSeconds, stop: () => undoAll(undo) };
  } catch (error) {
    await undoAll(undo).catch(() => undefined);
    throw error;
  }
}
