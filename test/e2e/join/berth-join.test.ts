// `berth join` judged by the real kubeadm and the real kube-controller-manager: kubeadm makes the
// token and prints the join command (against the kubeadm-shaped fixture, harness/kubeadm-shape.ts),
// `berth join` runs as a process with exactly those flags (plus the node's own: where its state
// goes, its CNI network, the seeded registry), discovers the cluster through kube-public/
// cluster-info, bootstraps its client certificate through a CSR that the controller-manager
// approves and signs, and runs the node. Wrong hashes and tokens are refused before anything is
// written; a second join of the same node reuses its credentials.
import { execa } from 'execa';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ownMemoryCgroup, removeCgroupPath } from '../../../bench/cgroups.js';
import { packageRoot } from '../../../common/package-root.js';
import { CriClient } from '../../../cri/client/cri-client.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';
import { startDaemon, type Daemon } from '../../harness/daemon.js';
import { eventually } from '../../harness/eventually.js';
import { freePort } from '../../harness/ports.js';
import { startRegistry, type Registry } from '../../harness/registry.js';
import { clusterPkiDir, goTool } from '../../harness/tools.js';

const namespace = 'default';
const berthBin = join(packageRoot(), 'bin/berth.js');

async function kubectl(...args: string[]): Promise<string> {
  return (await execa(goTool('kubectl'), ['--kubeconfig', inject('adminKubeconfig'), ...args], { timeout: 120_000 })).stdout;
}

async function kubeadm(...args: string[]): Promise<string> {
  return (await execa(goTool('kubeadm'), [...args, '--kubeconfig', inject('adminKubeconfig')], { timeout: 60_000 })).stdout;
}

interface CsrJson {
  metadata: { name: string };
  spec: { signerName: string; username: string; groups: string[]; usages: string[] };
  status: { certificate?: string; conditions?: { type: string; status: string; reason?: string }[] };
}

const nodeReady = async (name: string): Promise<boolean> => {
  const node = JSON.parse(await kubectl('get', 'node', name, '-o', 'json').catch(() => '{}')) as { status?: { conditions?: { type: string; status: string }[] } };
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
};

const leaseRenewedMs = async (name: string): Promise<number> => {
  const lease = JSON.parse(await kubectl('get', 'lease', '-n', 'kube-node-lease', name, '-o', 'json').catch(() => '{}')) as { spec?: { renewTime?: string } };
  return Date.parse(lease.spec?.renewTime ?? '') || 0;
};

describe('berth join with the command kubeadm prints (e2e: real kubeadm, kube-apiserver, controller-manager)', () => {
  const nodeName = `berth-join-${process.pid}`;
  const since = Date.now();
  const cgroupRoot = `${ownMemoryCgroup()}/berth-join-e2e`;
  let work = '';
  let rootDir = '';
  let socket = '';
  let registry: Registry | undefined;
  let network: CniTestNetwork | undefined;
  let node: Daemon | undefined;
  /** What `kubeadm token create --print-join-command` printed after "kubeadm join". */
  let joinArgs: string[] = [];
  let tokenId = '';
  let nodeArgs: string[] = [];

  const flag = (name: string): string => joinArgs[joinArgs.indexOf(name) + 1] ?? '';

  /** `berth join` to its end (a refusal): exit code and stderr. */
  const refusedJoin = (args: string[], root: string) =>
    execa(process.execPath, [berthBin, 'join', ...args, ...nodeArgs.slice(0, -2), '--root-dir', root], { reject: false, timeout: 120_000 });

  /** Ready once this process has renewed the Node's Lease (a Node still Ready from before proves nothing). */
  const startJoin = (): Promise<Daemon> => {
    const startedMs = Date.now();
    return startDaemon({
      name: 'berth join',
      command: process.execPath,
      args: [berthBin, 'join', ...joinArgs, ...nodeArgs],
      logPath: join(work, `berth-join-${startedMs}.log`),
      ready: async () => (await nodeReady(nodeName)) && (await leaseRenewedMs(nodeName)) > startedMs,
      timeoutMs: 180_000,
    });
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'berth-join-e2e-'));
    rootDir = join(work, 'root');
    socket = join(work, 'berth.sock');
    registry = await startRegistry();
    network = cniTestNetwork('join', 110);
    mkdirSync(join(work, 'manifests'));
    const printed = await kubeadm('token', 'create', '--print-join-command', '--description', 'berth join e2e');
    const words = printed.trim().split(/\s+/);
    expect(words.slice(0, 2)).toEqual(['kubeadm', 'join']);
    joinArgs = words.slice(2);
    tokenId = flag('--token').split('.')[0] ?? '';
    nodeArgs = [
      '--node-name', nodeName,
      '--node-ip', '127.0.0.1',
      '--state-dir', join(work, 'state'),
      '--socket', socket,
      '--cni-conf-dir', network.confDir,
      '--cni-bin-dir', '/usr/lib/cni',
      '--insecure-registry', registry.host,
      '--metrics-address', '',
      '--cdi-spec-dir', join(work, 'cdi'),
      '--device-plugin-dir', '',
      '--pod-manifest-path', join(work, 'manifests'),
      '--address', '127.0.0.1',
      '--port', String(await freePort()),
      '--cgroup-root', cgroupRoot,
      '--log-level', 'info',
      // Last, so that the refusals can swap it for a root dir of their own.
      '--root-dir', rootDir,
    ];
    // The kubelet API asks the API server about its callers (TokenReview, SubjectAccessReview).
    await kubectl('apply', '-f', join(packageRoot(), 'manifests/rbac/berth-node.yaml'));
    await eventually(() => kubectl('get', 'serviceaccount', '-n', namespace, 'default'));
  });

  afterAll(async () => {
    await kubectl('delete', 'pods', '-n', namespace, '--field-selector', `spec.nodeName=${nodeName}`, '--wait=true', '--timeout=60s').catch(() => '');
    // The node leaves pods running when it stops: remove what is left through its CRI socket.
    if (node && existsSync(socket)) {
      const cri = new CriClient({ endpoint: socket });
      for (const sandbox of (await cri.listPodSandbox().catch(() => ({ items: [] }))).items) {
        await cri.stopPodSandbox(sandbox.id).catch(() => undefined);
        await cri.removePodSandbox(sandbox.id).catch(() => undefined);
      }
      cri.close();
    }
    await node?.stop();
    await kubectl('delete', 'node', nodeName, '--ignore-not-found').catch(() => '');
    await kubectl('delete', 'lease', '-n', 'kube-node-lease', nodeName, '--ignore-not-found').catch(() => '');
    if (tokenId) await kubeadm('token', 'delete', tokenId).catch(() => '');
    await network?.remove();
    removeCgroupPath(cgroupRoot, since);
    removeCgroupPath(`${ownMemoryCgroup()}${cgroupRoot}`, since);
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('refuses a CA hash that is not the cluster\'s, and writes nothing', async () => {
    const root = join(work, 'wrong-hash');
    const args = joinArgs.map((word) => (word === flag('--discovery-token-ca-cert-hash') ? `sha256:${'0'.repeat(64)}` : word));
    const result = await refusedJoin(args, root);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/matches none of --discovery-token-ca-cert-hash sha256:0{64}: this is not the cluster the hash names/);
    expect(existsSync(root)).toBe(false);
  });

  it('refuses a token whose secret the cluster-info signature does not match, and writes nothing', async () => {
    const root = join(work, 'wrong-secret');
    const args = joinArgs.map((word) => (word === flag('--token') ? `${tokenId}.${'0'.repeat(16)}` : word));
    const result = await refusedJoin(args, root);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/the token does not match cluster-info on .*: the signature does not match the token secret/);
    expect(existsSync(root)).toBe(false);
  });

  it('refuses a token the cluster does not know once discovery gives up, and writes nothing', async () => {
    const root = join(work, 'unknown-token');
    const args = joinArgs.map((word) => (word === flag('--token') ? 'zzzzzz.0123456789abcdef' : word));
    const result = await refusedJoin([...args, '--discovery-timeout', '3s'], root);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/cluster-info on .* carries no signature for token id zzzzzz/);
    expect(existsSync(root)).toBe(false);
  });

  it('joins with exactly the flags kubeadm printed, and the node turns Ready', async () => {
    node = await startJoin();
    expect(await nodeReady(nodeName)).toBe(true);
    expect(readFileSync(node.logPath, 'utf8')).toMatch(/credentials written to/);
  });

  it('holds a client certificate the controller-manager issued for its CSR to kube-apiserver-client-kubelet', async () => {
    const csrs = (JSON.parse(await kubectl('get', 'csr', '-o', 'json')) as { items: CsrJson[] }).items.filter(
      (csr) => csr.spec.username === `system:bootstrap:${tokenId}`,
    );
    expect(csrs).toHaveLength(1);
    const [csr] = csrs as [CsrJson];
    expect(csr.spec.signerName).toBe('kubernetes.io/kube-apiserver-client-kubelet');
    expect(csr.spec.groups).toContain('system:bootstrappers:kubeadm:default-node-token');
    expect(csr.spec.usages.sort()).toEqual(['client auth', 'digital signature']);
    // Approved by the controller-manager's csrapproving controller through kubeadm's RBAC, not by us.
    expect(csr.status.conditions).toContainEqual(expect.objectContaining({ type: 'Approved', status: 'True', reason: 'AutoApproved' }));
    const issued = new X509Certificate(Buffer.from(csr.status.certificate ?? '', 'base64'));

    const current = join(rootDir, 'kubelet/pki/kubelet-client-current.pem');
    expect(readlinkSync(current)).toMatch(/kubelet-client-[\d-]+\.pem$/);
    const held = new X509Certificate(readFileSync(current));
    expect(held.fingerprint256).toBe(issued.fingerprint256);
    expect(held.subject.split('\n').sort()).toEqual([`CN=system:node:${nodeName}`, 'O=system:nodes']);
    const ca = new X509Certificate(readFileSync(join(clusterPkiDir(), 'ca.crt')));
    expect(held.issuer).toBe(ca.subject);
    expect(held.verify(ca.publicKey)).toBe(true);
  });

  it('runs a pod the scheduler puts on it, and serves its logs to kubectl through the API server', async () => {
    const name = `join-pod-${process.pid}`;
    const overrides = { spec: { nodeSelector: { 'kubernetes.io/hostname': nodeName }, terminationGracePeriodSeconds: 1 } };
    await kubectl('run', name, '-n', namespace, `--image=${registry?.host ?? ''}/busybox:latest`, '--restart=Never', `--overrides=${JSON.stringify(overrides)}`, '--command', '--', 'sh', '-c', 'echo joined-by-berth; sleep 3600');
    const pod = await eventually(async () => {
      const p = JSON.parse(await kubectl('get', 'pod', '-n', namespace, name, '-o', 'json')) as { spec: { nodeName?: string }; status: { phase?: string; podIP?: string } };
      return p.status.phase === 'Running' ? p : undefined;
    }, 500);
    expect(pod.spec.nodeName).toBe(nodeName);
    expect(pod.status.podIP).toMatch(network?.ipPattern ?? /never/);
    expect(await eventually(async () => ((await kubectl('logs', '-n', namespace, name)).includes('joined-by-berth') ? 'ok' : undefined), 500)).toBe('ok');
  });

  it('refuses to join a second node under the name of a Ready one, and writes nothing', async () => {
    const root = join(work, 'same-name');
    const result = await refusedJoin(joinArgs, root);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`a Node named ${nodeName} is already Ready`);
    expect(existsSync(root)).toBe(false);
  });

  it('joins again after a restart with the credentials it already holds: no new CSR', async () => {
    const before = readlinkSync(join(rootDir, 'kubelet/pki/kubelet-client-current.pem'));
    await node?.stop();
    node = undefined;
    node = await startJoin();
    const log = readFileSync(node.logPath, 'utf8');
    expect(log).toMatch(/already joined .* reusing/);
    expect(log).not.toMatch(/certificatesigningrequest .* posted/);
    expect(readlinkSync(join(rootDir, 'kubelet/pki/kubelet-client-current.pem'))).toBe(before);
    const csrs = (JSON.parse(await kubectl('get', 'csr', '-o', 'json')) as { items: CsrJson[] }).items;
    expect(csrs.filter((csr) => csr.spec.username === `system:bootstrap:${tokenId}`)).toHaveLength(1);
    expect(await nodeReady(nodeName)).toBe(true);
  });
});
