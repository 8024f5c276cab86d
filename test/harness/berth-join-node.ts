// A berth node that joins a kubeadm-shaped cluster the way a user would: the real kubeadm makes
// a token and prints the join command, and `berth join` (the compiled CLI, as a process) runs
// with exactly those arguments plus the node's own (state under a temporary dir, its own CNI
// network and cgroup root, the test registry). dispose() removes the node, its pods (through the
// CRI socket too: a stopped node leaves them running), its token and everything on the host.
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownMemoryCgroup, removeCgroupPath } from '../../bench/cgroups.js';
import { packageRoot } from '../../common/package-root.js';
import { CriClient } from '../../cri/client/cri-client.js';
import { cniTestNetwork, type CniTestNetwork } from './cni-network.js';
import { startDaemon, type Daemon } from './daemon.js';
import { eventually } from './eventually.js';
import { freePort } from './ports.js';
import { startRegistry, type Registry } from './registry.js';
import { goTool } from './tools.js';

const berthBin = join(packageRoot(), 'bin/berth.js');

export interface JoinNode {
  nodeName: string;
  /** berth's --root-dir: the credentials are under <rootDir>/kubelet. */
  rootDir: string;
  registryHost: string;
  network: CniTestNetwork;
  /** What `kubeadm token create --print-join-command` printed after "kubeadm join". */
  joinArgs: string[];
  tokenId: string;
  /** The value after `name` in the printed command. */
  flag(name: string): string;
  kubectl(...args: string[]): Promise<string>;
  /** `berth join ARGS` with the node's flags but root dir `root`, run to its end (a refusal). */
  refusedJoin(args: string[], root: string): Promise<{ exitCode: number | undefined; stderr: string }>;
  /** Starts `berth join`; ready once this process renewed the Node's Lease. */
  start(): Promise<Daemon>;
  /** Stops the running `berth join` (the node's pods keep running). */
  stop(): Promise<void>;
  nodeReady(): Promise<boolean>;
  leaseRenewedMs(): Promise<number>;
  dispose(): Promise<void>;
}

export async function joinNode(options: { adminKubeconfig: string; name: string; cniOctet: number }): Promise<JoinNode> {
  const kubectl = async (...args: string[]): Promise<string> => (await execa(goTool('kubectl'), ['--kubeconfig', options.adminKubeconfig, ...args], { timeout: 120_000 })).stdout;
  const kubeadm = async (...args: string[]): Promise<string> => (await execa(goTool('kubeadm'), [...args, '--kubeconfig', options.adminKubeconfig], { timeout: 60_000 })).stdout;
  const nodeName = `${options.name}-${process.pid}`;
  const since = Date.now();
  const cgroupRoot = `${ownMemoryCgroup()}/${options.name}`;
  const work = mkdtempSync(join(tmpdir(), `${options.name}-`));
  const rootDir = join(work, 'root');
  const socket = join(work, 'berth.sock');
  let registry: Registry | undefined;
  let network: CniTestNetwork | undefined;
  let daemon: Daemon | undefined;
  let tokenId = '';

  const dispose = async (): Promise<void> => {
    await kubectl('delete', 'pods', '--all-namespaces', '--field-selector', `spec.nodeName=${nodeName}`, '--wait=true', '--timeout=60s').catch(() => '');
    if (existsSync(socket)) {
      const cri = new CriClient({ endpoint: socket });
      for (const sandbox of (await cri.listPodSandbox().catch(() => ({ items: [] }))).items) {
        await cri.stopPodSandbox(sandbox.id).catch(() => undefined);
        await cri.removePodSandbox(sandbox.id).catch(() => undefined);
      }
      cri.close();
    }
    await daemon?.stop();
    await kubectl('delete', 'node', nodeName, '--ignore-not-found').catch(() => '');
    await kubectl('delete', 'lease', '-n', 'kube-node-lease', nodeName, '--ignore-not-found').catch(() => '');
    if (tokenId) await kubeadm('token', 'delete', tokenId).catch(() => '');
    await network?.remove();
    removeCgroupPath(cgroupRoot, since);
    // berth's runtime anchors the same parent below its own cgroup in the memory hierarchy.
    removeCgroupPath(`${ownMemoryCgroup()}${cgroupRoot}`, since);
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  };

  try {
    registry = await startRegistry();
    const net = cniTestNetwork(options.name, options.cniOctet);
    network = net;
    mkdirSync(join(work, 'manifests'));
    const words = (await kubeadm('token', 'create', '--print-join-command', '--description', options.name)).trim().split(/\s+/);
    if (words[0] !== 'kubeadm' || words[1] !== 'join') throw new Error(`kubeadm printed ${words.join(' ')}, not a join command`);
    const joinArgs = words.slice(2);
    const flag = (name: string): string => joinArgs[joinArgs.indexOf(name) + 1] ?? '';
    tokenId = flag('--token').split('.')[0] ?? '';
    const nodeArgs = [
      '--node-name',
      nodeName,
      '--node-ip',
      '127.0.0.1',
      '--state-dir',
      join(work, 'state'),
      '--socket',
      socket,
      '--cni-conf-dir',
      net.confDir,
      '--cni-bin-dir',
      '/usr/lib/cni',
      '--insecure-registry',
      registry.host,
      '--metrics-address',
      '',
      '--cdi-spec-dir',
      join(work, 'cdi'),
      '--device-plugin-dir',
      '',
      '--pod-manifest-path',
      join(work, 'manifests'),
      '--address',
      '127.0.0.1',
      '--port',
      String(await freePort()),
      '--cgroup-root',
      cgroupRoot,
      '--log-level',
      'info',
    ];
    // The kubelet API asks the API server about its callers (TokenReview, SubjectAccessReview).
    await kubectl('apply', '-f', join(packageRoot(), 'manifests/rbac/berth-node.yaml'));
    await eventually(() => kubectl('get', 'serviceaccount', '-n', 'default', 'default'));

    const nodeReady = async (): Promise<boolean> => {
      const node = JSON.parse(await kubectl('get', 'node', nodeName, '-o', 'json').catch(() => '{}')) as { status?: { conditions?: { type: string; status: string }[] } };
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    };
    const leaseRenewedMs = async (): Promise<number> => {
      const lease = JSON.parse(await kubectl('get', 'lease', '-n', 'kube-node-lease', nodeName, '-o', 'json').catch(() => '{}')) as { spec?: { renewTime?: string } };
      return Date.parse(lease.spec?.renewTime ?? '') || 0;
    };
    return {
      nodeName,
      rootDir,
      registryHost: registry.host,
      network: net,
      joinArgs,
      tokenId,
      flag,
      kubectl,
      refusedJoin: async (args, root) => {
        const { exitCode, stderr } = await execa(process.execPath, [berthBin, 'join', ...args, ...nodeArgs, '--root-dir', root], { reject: false, timeout: 120_000 });
        return { exitCode, stderr };
      },
      start: async () => {
        const startedMs = Date.now();
        daemon = await startDaemon({
          name: 'berth join',
          command: process.execPath,
          args: [berthBin, 'join', ...joinArgs, ...nodeArgs, '--root-dir', rootDir],
          logPath: join(work, `berth-join-${startedMs}.log`),
          // A Node still Ready from a previous run proves nothing: this process must have renewed its Lease.
          ready: async () => (await nodeReady()) && (await leaseRenewedMs()) > startedMs,
          timeoutMs: 180_000,
        });
        return daemon;
      },
      stop: async () => {
        await daemon?.stop();
        daemon = undefined;
      },
      nodeReady,
      leaseRenewedMs,
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
