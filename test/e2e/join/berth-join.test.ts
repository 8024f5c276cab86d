// `berth join` judged by the real kubeadm and the real kube-controller-manager: kubeadm makes the
// token and prints the join command (against the kubeadm-shaped fixture, harness/kubeadm-shape.ts),
// `berth join` runs as a process with exactly those flags (plus the node's own, harness/
// berth-join-node.ts), discovers the cluster through kube-public/cluster-info, bootstraps its
// client certificate through a CSR that the controller-manager approves and signs, and runs the
// node. Wrong hashes and tokens are refused before anything is written; a second join of the
// same node reuses its credentials.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { joinNode, type JoinNode } from '../../harness/berth-join-node.js';
import { eventually } from '../../harness/eventually.js';
import { clusterPkiDir } from '../../harness/tools.js';

interface CsrJson {
  metadata: { name: string };
  spec: { signerName: string; username: string; groups: string[]; usages: string[] };
  status: { certificate?: string; conditions?: { type: string; status: string; reason?: string }[] };
}

describe('berth join with the command kubeadm prints (e2e: real kubeadm, kube-apiserver, controller-manager)', () => {
  let node: JoinNode;
  const scratch = (name: string): string => join(node.rootDir, '..', name);
  const csrsOf = async (username: string): Promise<CsrJson[]> =>
    (JSON.parse(await node.kubectl('get', 'csr', '-o', 'json')) as { items: CsrJson[] }).items.filter((csr) => csr.spec.username === username);
  const currentPem = (): string => join(node.rootDir, 'kubelet/pki/kubelet-client-current.pem');

  beforeAll(async () => {
    node = await joinNode({ adminKubeconfig: inject('adminKubeconfig'), name: 'berth-join', cniOctet: 110 });
  });

  afterAll(async () => {
    await node?.dispose();
  });

  it("refuses a CA hash that is not the cluster's, and writes nothing", async () => {
    const root = scratch('wrong-hash');
    const args = node.joinArgs.map((word) => (word === node.flag('--discovery-token-ca-cert-hash') ? `sha256:${'0'.repeat(64)}` : word));
    const result = await node.refusedJoin(args, root);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/matches none of --discovery-token-ca-cert-hash sha256:0{64}: this is not the cluster the hash names/);
    expect(existsSync(root)).toBe(false);
  });

  it('refuses a token whose secret the cluster-info signature does not match, and writes nothing', async () => {
    const root = scratch('wrong-secret');
    const args = node.joinArgs.map((word) => (word === node.flag('--token') ? `${node.tokenId}.${'0'.repeat(16)}` : word));
    const result = await node.refusedJoin(args, root);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/the token does not match cluster-info on .*: the signature does not match the token secret/);
    expect(existsSync(root)).toBe(false);
  });

  it('reads the same settings from a kubeadm JoinConfiguration (--config), and refuses its wrong hash', async () => {
    const root = scratch('join-configuration');
    const config = scratch('join-configuration.yaml');
    writeFileSync(
      config,
      [
        'apiVersion: kubeadm.k8s.io/v1beta4',
        'kind: JoinConfiguration',
        'discovery:',
        '  bootstrapToken:',
        `    apiServerEndpoint: ${node.joinArgs[0] ?? ''}`,
        `    token: ${node.flag('--token')}`,
        `    caCertHashes: ["sha256:${'1'.repeat(64)}"]`,
        '',
      ].join('\n'),
    );
    const result = await node.refusedJoin(['--config', config], root);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/matches none of --discovery-token-ca-cert-hash sha256:1{64}/);
    expect(existsSync(root)).toBe(false);
  });

  it('refuses a token the cluster does not know once discovery gives up, and writes nothing', async () => {
    const root = scratch('unknown-token');
    const args = node.joinArgs.map((word) => (word === node.flag('--token') ? 'zzzzzz.0123456789abcdef' : word));
    const result = await node.refusedJoin([...args, '--discovery-timeout', '3s'], root);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/cluster-info on .* carries no signature for token id zzzzzz/);
    expect(existsSync(root)).toBe(false);
  });

  it('joins with exactly the flags kubeadm printed, and the node turns Ready', async () => {
    const daemon = await node.start();
    expect(await node.nodeReady()).toBe(true);
    expect(readFileSync(daemon.logPath, 'utf8')).toMatch(/credentials written to/);
  });

  it('holds a client certificate the controller-manager issued for its CSR to kube-apiserver-client-kubelet', async () => {
    const csrs = await csrsOf(`system:bootstrap:${node.tokenId}`);
    expect(csrs).toHaveLength(1);
    const [csr] = csrs as [CsrJson];
    expect(csr.spec.signerName).toBe('kubernetes.io/kube-apiserver-client-kubelet');
    expect(csr.spec.groups).toContain('system:bootstrappers:kubeadm:default-node-token');
    expect(csr.spec.usages.sort()).toEqual(['client auth', 'digital signature']);
    // Approved by the controller-manager's csrapproving controller through kubeadm's RBAC, not by us.
    expect(csr.status.conditions).toContainEqual(expect.objectContaining({ type: 'Approved', status: 'True', reason: 'AutoApproved' }));
    const issued = new X509Certificate(Buffer.from(csr.status.certificate ?? '', 'base64'));

    expect(readlinkSync(currentPem())).toMatch(/kubelet-client-[\d-]+\.pem$/);
    const held = new X509Certificate(readFileSync(currentPem()));
    expect(held.fingerprint256).toBe(issued.fingerprint256);
    expect(held.subject.split('\n').sort()).toEqual([`CN=system:node:${node.nodeName}`, 'O=system:nodes']);
    const ca = new X509Certificate(readFileSync(join(clusterPkiDir(), 'ca.crt')));
    expect(held.issuer).toBe(ca.subject);
    expect(held.verify(ca.publicKey)).toBe(true);
  });

  it('runs a pod the scheduler puts on it, and serves its logs to kubectl through the API server', async () => {
    const name = `join-pod-${process.pid}`;
    const overrides = { spec: { nodeSelector: { 'kubernetes.io/hostname': node.nodeName }, terminationGracePeriodSeconds: 1 } };
    await node.kubectl(
      'run',
      name,
      `--image=${node.registryHost}/busybox:latest`,
      '--restart=Never',
      `--overrides=${JSON.stringify(overrides)}`,
      '--command',
      '--',
      'sh',
      '-c',
      'echo joined-by-berth; sleep 3600',
    );
    const pod = await eventually(async () => {
      const p = JSON.parse(await node.kubectl('get', 'pod', name, '-o', 'json')) as { spec: { nodeName?: string }; status: { phase?: string; podIP?: string } };
      return p.status.phase === 'Running' ? p : undefined;
    }, 500);
    expect(pod.spec.nodeName).toBe(node.nodeName);
    expect(pod.status.podIP).toMatch(node.network.ipPattern);
    expect(await eventually(async () => ((await node.kubectl('logs', name)).includes('joined-by-berth') ? 'ok' : undefined), 500)).toBe('ok');
  });

  it('refuses to join a second node under the name of a Ready one, and writes nothing', async () => {
    const root = scratch('same-name');
    const result = await node.refusedJoin(node.joinArgs, root);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`a Node named ${node.nodeName} is already Ready`);
    expect(existsSync(root)).toBe(false);
  });

  it('joins again after a restart with the credentials it already holds: no new CSR', async () => {
    const before = readlinkSync(currentPem());
    await node.stop();
    const daemon = await node.start();
    const log = readFileSync(daemon.logPath, 'utf8');
    expect(log).toMatch(/already joined .* reusing/);
    expect(log).not.toMatch(/certificatesigningrequest .* posted/);
    expect(readlinkSync(currentPem())).toBe(before);
    expect(await csrsOf(`system:bootstrap:${node.tokenId}`)).toHaveLength(1);
    expect(await node.nodeReady()).toBe(true);
  });
});
