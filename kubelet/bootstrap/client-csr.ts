// The node's client certificate request, as the kubelet makes it for TLS bootstrap and rotation:
// an ECDSA P-256 key, subject O=system:nodes, CN=system:node:<name>, no extensions (the
// controller-manager's approver refuses a kubelet client CSR with SANs), signed with the key.
// Pure apart from key generation: no I/O.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { bitString, contextConstructed, integer, objectIdentifier, sequence, set, utf8String } from './der.js';

export const kubeletClientSigner = 'kubernetes.io/kube-apiserver-client-kubelet';
/** What the approver accepts for an ECDSA kubelet client key (key encipherment is for RSA). */
export const kubeletClientUsages = ['digital signature', 'client auth'];

const oids = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
};

export interface ClientKey {
  key: KeyObject;
  /** PKCS#8 PEM, as written beside the certificate. */
  pem: string;
}

export function generateClientKey(): ClientKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { key: privateKey, pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

export function nodeSubject(nodeName: string): { organization: string; commonName: string } {
  return { organization: 'system:nodes', commonName: `system:node:${nodeName}` };
}

function name(subject: { organization: string; commonName: string }): Buffer {
  // Go's pkix.Name order (O before CN), so the subject reads as the kubelet's does.
  const rdn = (oid: string, value: string): Buffer => set(sequence(objectIdentifier(oid), utf8String(value)));
  return sequence(rdn(oids.organization, subject.organization), rdn(oids.commonName, subject.commonName));
}

/** A PEM "CERTIFICATE REQUEST" (PKCS#10) for the node's client certificate, signed with `key`. */
export function buildNodeClientCsr(nodeName: string, key: KeyObject | string): string {
  const privateKey = typeof key === 'string' ? createPrivateKey(key) : key;
  if (privateKey.asymmetricKeyType !== 'ec') throw new TypeError('node client keys are ECDSA P-256');
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const info = sequence(integer(0), name(nodeSubject(nodeName)), spki, contextConstructed(0, Buffer.alloc(0)));
  const signature = sign('sha256', info, { key: privateKey, dsaEncoding: 'der' });
  const der = sequence(info, sequence(objectIdentifier(oids.ecdsaWithSha256)), bitString(signature));
  const base64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN CERTIFICATE REQUEST-----\n${base64}\n-----END CERTIFICATE REQUEST-----\n`;
}
