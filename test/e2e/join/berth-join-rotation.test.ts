// Client certificate rotation judged by the real controller-manager: a cluster of its own whose
// signer issues 60-second certificates (--cluster-signing-duration), made kubeadm-shaped like the
// shared fixture, so kubeadm's node-autoapprove-certificate-rotation binding is what approves the
// node's own CSRs. The node must rotate before expiry and keep talking to the API server after
// its first certificate has expired.
import { X509Certificate } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinNode, type JoinNode } from '../../harness/berth-join-node.js';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import { eventually } from '../../harness/eventually.js';

interface CsrJson {
  spec: { signerName: string; username: string };
  status: { certificate?: string; conditions?: { type: string; reason?: string }[] };
}

describe('berth join rotates its client certificate (e2e: a controller-manager that signs 60 s certificates)', () => {
  let cluster: Cluster | undefined;
  let node: JoinNode | undefined;

  beforeAll(async () => {
    cluster = await startCluster({ clusterSigningDuration: '60s' });
    node = await joinNode({ adminKubeconfig: cluster.adminKubeconfig, name: 'berth-rotate', cniOctet: 111 });
    await node.start();
  });

  afterAll(async () => {
    await node?.dispose();
    await cluster?.stop();
  });

  it('gets a new certificate through a CSR of its own before the first expires, and stays on the API after it has', async () => {
    if (!node) throw new Error('no node');
    const joined = node;
    const current = join(joined.rootDir, 'kubelet/pki/kubelet-client-current.pem');
    const firstFile = readlinkSync(current);
    const first = new X509Certificate(readFileSync(current));
    expect(Date.parse(first.validTo) - Date.parse(first.validFrom)).toBeLessThanOrEqual(6 * 60_000);

    const rotatedFile = await eventually(async () => (readlinkSync(current) !== firstFile ? readlinkSync(current) : undefined), 1_000);
    const second = new X509Certificate(readFileSync(rotatedFile));
    expect(second.fingerprint256).not.toBe(first.fingerprint256);
    expect(second.subject.split('\n').sort()).toEqual([`CN=system:node:${joined.nodeName}`, 'O=system:nodes']);
    // Requested with the node's own identity, approved by the controller-manager through kubeadm's RBAC.
    const csrs = (JSON.parse(await joined.kubectl('get', 'csr', '-o', 'json')) as { items: CsrJson[] }).items;
    const own = csrs.filter((csr) => csr.spec.username === `system:node:${joined.nodeName}`);
    expect(own.map((csr) => new X509Certificate(Buffer.from(csr.status.certificate ?? '', 'base64')).fingerprint256)).toContain(second.fingerprint256);
    for (const csr of own) {
      expect(csr.spec.signerName).toBe('kubernetes.io/kube-apiserver-client-kubelet');
      expect(csr.status.conditions).toContainEqual(expect.objectContaining({ type: 'Approved', reason: 'AutoApproved' }));
    }

    // Past the first certificate's end the node still renews its Lease: it uses the new one.
    const firstEnd = Date.parse(first.validTo);
    await eventually(async () => ((await joined.leaseRenewedMs()) > firstEnd ? true : undefined), 1_000);
    expect(await joined.nodeReady()).toBe(true);
  });
});
