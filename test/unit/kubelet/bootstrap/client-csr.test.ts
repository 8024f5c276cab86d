import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildNodeCsr, generateClientKey } from '../../../../kubelet/bootstrap/client-csr.js';
import { integer, objectIdentifier, sequence, tlv } from '../../../../kubelet/bootstrap/der.js';

/** Splits one DER TLV's content into its child TLVs (enough to walk a CSR). */
function children(der: Buffer): Buffer[] {
  const out: Buffer[] = [];
  const headerLength = (at: number): { start: number; end: number } => {
    const first = der[at + 1] ?? 0;
    if (first < 0x80) return { start: at + 2, end: at + 2 + first };
    const count = first & 0x7f;
    let length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[at + 2 + i] ?? 0);
    return { start: at + 2 + count, end: at + 2 + count + length };
  };
  const outer = headerLength(0);
  for (let at = outer.start; at < outer.end; ) {
    const { end } = headerLength(at);
    out.push(der.subarray(at, end));
    at = end;
  }
  return out;
}

const pemBody = (pem: string): Buffer => Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, ''), 'base64');

describe('node client CSR (PKCS#10)', () => {
  const key = generateClientKey();
  const pem = buildNodeCsr('worker-1', key.key);
  const [info = Buffer.alloc(0), algorithm = Buffer.alloc(0), signature = Buffer.alloc(0)] = children(pemBody(pem));

  it('is a PEM CERTIFICATE REQUEST of version 0', () => {
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE REQUEST-----\n$/);
    expect(children(info)[0]).toEqual(integer(0));
  });

  it('names O=system:nodes, CN=system:node:<name>, in that order, as UTF8Strings', () => {
    const subject = children(info)[1] ?? Buffer.alloc(0);
    const rdn = (oid: string, value: string): Buffer => tlv(0x31, sequence(objectIdentifier(oid), tlv(0x0c, Buffer.from(value))));
    expect(subject).toEqual(sequence(rdn('2.5.4.10', 'system:nodes'), rdn('2.5.4.3', 'system:node:worker-1')));
  });

  it('carries the public key of the key and no attributes (no SANs for a client certificate)', () => {
    expect(children(info)[2]).toEqual(createPublicKey(key.key).export({ type: 'spki', format: 'der' }));
    expect(children(info)[3]).toEqual(Buffer.from([0xa0, 0x00]));
  });

  it('is signed ecdsa-with-SHA256 by that key', () => {
    expect(algorithm).toEqual(sequence(objectIdentifier('1.2.840.10045.4.3.2')));
    // BIT STRING, a short length (a P-256 signature is under 128 bytes), no unused bits.
    expect([signature[0], signature[2]]).toEqual([0x03, 0x00]);
    const signatureBytes = signature.subarray(3);
    expect(verify('sha256', info, createPublicKey(key.key), signatureBytes)).toBe(true);
  });

  it('refuses a key that is not ECDSA', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    expect(() => buildNodeCsr('worker-1', privateKey)).toThrow(/ECDSA P-256/);
  });
});

describe('node serving CSR (PKCS#10 with a subjectAltName request)', () => {
  const key = generateClientKey();
  const pem = buildNodeCsr('worker-1', key.key, { dnsNames: ['worker-1'], ips: ['172.30.251.3', 'fd00::1'] });
  const [info = Buffer.alloc(0), , signature = Buffer.alloc(0)] = children(pemBody(pem));

  it('asks for dNSName and iPAddress (IPv4 and IPv6, as bytes) entries in one extensionRequest attribute', () => {
    const generalNames =
      '3022' + // SEQUENCE of three GeneralNames
      `8208${Buffer.from('worker-1').toString('hex')}` + // [2] dNSName
      '8704ac1efb03' + // [7] iPAddress 172.30.251.3
      `8710fd00${'00'.repeat(13)}01`; // [7] iPAddress fd00::1
    const extension = `302b 0603551d11 0424${generalNames}`.replace(/ /g, '');
    const attribute = `303c 06092a864886f70d01090e 312f 302d ${extension}`.replace(/ /g, '');
    expect(children(info)[3]?.toString('hex')).toBe(`a03e${attribute}`);
  });

  it('is still signed by the key over the whole request info', () => {
    expect(verify('sha256', info, createPublicKey(key.key), signature.subarray(3))).toBe(true);
  });

  it('refuses a SAN that is not an IP address', () => {
    expect(() => buildNodeCsr('worker-1', key.key, { dnsNames: [], ips: ['not-an-ip'] })).toThrow(/not an IP address/);
  });
});

describe('DER', () => {
  it.each([
    ['INTEGER 0', integer(0), '020100'],
    ['INTEGER 127', integer(127), '02017f'],
    ['INTEGER 128 (a leading zero keeps it positive)', integer(128), '02020080'],
    ['OID ecdsa-with-SHA256', objectIdentifier('1.2.840.10045.4.3.2'), '06082a8648ce3d040302'],
    ['OID commonName', objectIdentifier('2.5.4.3'), '0603550403'],
    ['a long length', tlv(0x04, Buffer.alloc(200)), `0481c8${'00'.repeat(200)}`],
    ['a two-byte length', tlv(0x04, Buffer.alloc(300)).subarray(0, 4), '0482012c'],
  ])('%s', (_name, der, hex) => expect(der.toString('hex')).toBe(hex));
});
