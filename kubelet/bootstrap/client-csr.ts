// The node's certificate requests, as the kubelet makes them: an ECDSA P-256 key, subject
// O=system:nodes, CN=system:node:<name>, signed with the key. The client certificate's (TLS
// bootstrap and rotation) carries no extensions: the controller-manager's approver refuses a
// kubelet client CSR with SANs. The serving certificate's (serverTLSBootstrap) names the node's
// hostnames and addresses in a subjectAltName extension request, as the kubelet-serving signer
// requires. Pure apart from key generation: no I/O.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { bitString, contextConstructed, integer, objectIdentifier, octetString, sequence, set, tlv, utf8String } from './der.js';

export const kubeletClientSigner = 'kubernetes.io/kube-apiserver-client-kubelet';
/** What the approver accepts for an ECDSA kubelet client key (key encipherment is for RSA). */
export const kubeletClientUsages = ['digital signature', 'client auth'];
export const kubeletServingSigner = 'kubernetes.io/kubelet-serving';
/** What the kubelet-serving signer allows for an ECDSA key. */
export const kubeletServingUsages = ['digital signature', 'server auth'];

const oids = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  extensionRequest: '1.2.840.113549.1.9.14',
  subjectAltName: '2.5.29.17',
};

/** The names a serving certificate is asked for. */
export interface SubjectAltNames {
  dnsNames: string[];
  ips: string[];
}

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

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new TypeError(`${JSON.stringify(ip)} is not an IP address`);
  const [head = '', tail = ''] = ip.split('::');
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  const front = groups(head);
  const back = ip.includes('::') ? groups(tail) : [];
  const all = [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
  return Buffer.from(all.flatMap((group) => [group >> 8, group & 0xff]));
}

/** The extensionRequest attribute asking for a subjectAltName of dNSName [2] and iPAddress [7] entries. */
function subjectAltNameRequest(names: SubjectAltNames): Buffer {
  const generalNames = sequence(...names.dnsNames.map((dns) => tlv(0x82, Buffer.from(dns, 'ascii'))), ...names.ips.map((ip) => tlv(0x87, ipBytes(ip))));
  const extension = sequence(objectIdentifier(oids.subjectAltName), octetString(generalNames));
  return sequence(objectIdentifier(oids.extensionRequest), set(sequence(extension)));
}

/**
 * A PEM "CERTIFICATE REQUEST" (PKCS#10) for one of the node's certificates, signed with `key`:
 * the client certificate's without `altNames`, the serving certificate's with them.
 */
export function buildNodeCsr(nodeName: string, key: KeyObject | string, altNames?: SubjectAltNames): string {
  const privateKey = typeof key === 'string' ? createPrivateKey(key) : key;
  if (privateKey.asymmetricKeyType !== 'ec') throw new TypeError('node client keys are ECDSA P-256');
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const attributes = altNames ? subjectAltNameRequest(altNames) : Buffer.alloc(0);
  const info = sequence(integer(0), name(nodeSubject(nodeName)), spki, contextConstructed(0, attributes));
  const signature = sign('sha256', info, { key: privateKey, dsaEncoding: 'der' });
  const der = sequence(info, sequence(objectIdentifier(oids.ecdsaWithSha256)), bitString(signature));
  const base64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN CERTIFICATE REQUEST-----\n${base64}\n-----END CERTIFICATE REQUEST-----\n`;
}
