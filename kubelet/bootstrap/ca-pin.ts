// kubeadm's CA pinning: "sha256:<hex>" of the CA certificate's DER SubjectPublicKeyInfo (the
// public key, not the whole certificate, so a re-issued CA with the same key still matches), the
// value `kubeadm token create --print-join-command` prints as --discovery-token-ca-cert-hash.
import { X509Certificate, createHash } from 'node:crypto';
import { InvalidArgumentError } from '../../common/errors.js';

const pinPattern = /^sha256:([0-9a-f]{64})$/;

/** Normalised pins; refuses any that is not sha256:<64 hex digits> (the only kind kubeadm makes). */
export function parseCaPins(values: readonly string[]): string[] {
  return values.map((value) => {
    const normalised = value.trim().toLowerCase();
    if (!pinPattern.test(normalised)) {
      throw new InvalidArgumentError(`--discovery-token-ca-cert-hash ${JSON.stringify(value)} is not sha256:<64 hex digits> (as \`kubeadm token create --print-join-command\` prints it)`);
    }
    return normalised;
  });
}

export function caPublicKeyPin(certificatePem: string): string {
  const spki = new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** The PEM certificates of a bundle, one string each. */
export function splitPemCertificates(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** Whether any certificate of the bundle has one of the pinned keys (kubeadm accepts any match). */
export function bundleMatchesPins(bundle: string, pins: readonly string[]): boolean {
  return splitPemCertificates(bundle).some((pem) => pins.includes(caPublicKeyPin(pem)));
}
