// A node's client credentials minted from the fixture's CA with openssl: CN=system:node:<name>,
// O=system:nodes, so the API server's Node authorizer and NodeRestriction apply to the kubelet
// exactly as they would to a real node.
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterPkiDir } from './tools.js';

/** Writes <dir>/node.key, node.crt and node.kubeconfig; returns the kubeconfig path. */
export async function nodeKubeconfig(dir: string, nodeName: string, server: string): Promise<string> {
  const pki = clusterPkiDir();
  const key = join(dir, 'node.key');
  const csr = join(dir, 'node.csr');
  const crt = join(dir, 'node.crt');
  await execa('openssl', ['genrsa', '-out', key, '2048']);
  await execa('openssl', ['req', '-new', '-key', key, '-subj', `/O=system:nodes/CN=system:node:${nodeName}`, '-out', csr]);
  // An explicit serial: -CAcreateserial would write ca.srl into the shared PKI directory.
  await execa('openssl', ['x509', '-req', '-in', csr, '-CA', join(pki, 'ca.crt'), '-CAkey', join(pki, 'ca.key'), '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '1', '-out', crt]);
  const kubeconfig = join(dir, 'node.kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority': join(pki, 'ca.crt') } }],
      users: [{ name: 'node', user: { 'client-certificate': crt, 'client-key': key } }],
      contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'node' } }],
      'current-context': 'e2e',
    }),
    { mode: 0o600 },
  );
  return kubeconfig;
}
