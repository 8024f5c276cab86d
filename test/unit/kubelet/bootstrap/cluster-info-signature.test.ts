import { describe, expect, it } from 'vitest';
import { caPublicKeyPin, bundleMatchesPins, parseCaPins } from '../../../../kubelet/bootstrap/ca-pin.js';
import { parseBootstrapToken } from '../../../../kubelet/bootstrap/bootstrap-token.js';
import { checkDetachedSignature, signDetached } from '../../../../kubelet/bootstrap/cluster-info-signature.js';
import { caHashKubeadmPrinted, caPem, kubeconfig, signature, token } from './cluster-info-vector.js';

describe("cluster-info signature (the bootstrapsigner's detached JWS)", () => {
  it('accepts the signature the controller-manager made with the token', () => {
    expect(checkDetachedSignature(signature, kubeconfig, token)).toEqual({ ok: true });
  });

  it('computes the same detached JWS as the Go signer, byte for byte', () => {
    expect(signDetached(kubeconfig, token)).toBe(signature);
  });

  const header = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const [, , realSignature = ''] = signature.split('.');
  it.each([
    ['a wrong secret', signature, kubeconfig, { ...token, secret: '0'.repeat(16) }, /signature does not match the token secret/],
    ['changed content (another CA put in)', signature, kubeconfig.replace('127.0.0.1:42715', '10.0.0.1:6443'), token, /signature does not match/],
    ['a signature for another token id', signature, kubeconfig, { ...token, id: 'abcdef' }, /signed for token id xjwjng, not abcdef/],
    ['alg none', `${header({ alg: 'none', kid: token.id })}..`, kubeconfig, token, /algorithm none is not HS256/],
    ['alg HS512', `${header({ alg: 'HS512', kid: token.id })}..${realSignature}`, kubeconfig, token, /algorithm HS512 is not HS256/],
    ['an attached payload', signature.replace('..', '.eyJ9.'), kubeconfig, token, /not a detached JWS/],
    ['a header that is not JSON', `bm90IGpzb24..${realSignature}`, kubeconfig, token, /header is not JSON/],
    ['a truncated signature', signature.slice(0, -4), kubeconfig, token, /signature does not match/],
  ])('refuses %s', (_name, jws, content, tok, reason) => {
    const check = checkDetachedSignature(jws, content, tok);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toMatch(reason);
  });
});

describe('CA pin (--discovery-token-ca-cert-hash)', () => {
  it('is the hash kubeadm printed for the same CA', () => {
    expect(caPublicKeyPin(caPem)).toBe(caHashKubeadmPrinted);
  });

  it('matches a bundle when any of its certificates has a pinned key', () => {
    expect(bundleMatchesPins(`${caPem}\n${caPem}`, [`sha256:${'1'.repeat(64)}`, caHashKubeadmPrinted])).toBe(true);
    expect(bundleMatchesPins(caPem, [`sha256:${'1'.repeat(64)}`])).toBe(false);
    expect(bundleMatchesPins('', [caHashKubeadmPrinted])).toBe(false);
  });

  it('normalises case and refuses anything but sha256:<64 hex>', () => {
    expect(parseCaPins([caHashKubeadmPrinted.toUpperCase().replace('SHA256', 'sha256')])).toEqual([caHashKubeadmPrinted]);
    for (const bad of ['8814f948', `md5:${'0'.repeat(32)}`, `sha256:${'g'.repeat(64)}`, `sha256:${'0'.repeat(63)}`]) {
      expect(() => parseCaPins([bad])).toThrow(/is not sha256:<64 hex digits>/);
    }
  });
});

describe('bootstrap token', () => {
  it('splits <id>.<secret>', () => {
    expect(parseBootstrapToken('xjwjng.sd8718mtalpr1tj6')).toEqual(token);
  });

  it.each(['xjwjng', 'XJWJNG.sd8718mtalpr1tj6', 'xjwjng.sd8718mtalpr1tj', 'xjwjn.sd8718mtalpr1tj6x', 'xjwjng:sd8718mtalpr1tj6', ' xjwjng.sd8718mtalpr1tj6'])('refuses %j', (text) =>
    expect(() => parseBootstrapToken(text)).toThrow(/a bootstrap token is "<6 characters/),
  );
});
