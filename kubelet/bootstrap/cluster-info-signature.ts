// The bootstrap signer's proof that cluster-info was published by someone holding the token: the
// controller-manager signs the ConfigMap's `kubeconfig` with each token's secret and stores a
// detached JWS (RFC 7515 compact form with the payload left out, "header..signature") under
// `jws-kubeconfig-<token id>`. HS256 with the secret as the key; the header names the token id.
// A joining node that knows the token checks it before believing the CA in that kubeconfig.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { BootstrapToken } from './bootstrap-token.js';

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export function checkDetachedSignature(jws: string, content: string, token: BootstrapToken): SignatureCheck {
  const parts = jws.split('.');
  if (parts.length !== 3 || parts[1] !== '') return { ok: false, reason: 'not a detached JWS (header..signature)' };
  const [headerPart = '', , signaturePart = ''] = parts;
  let header: { alg?: unknown; kid?: unknown };
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as typeof header;
  } catch {
    return { ok: false, reason: 'its header is not JSON' };
  }
  // Only HS256: accepting the header's choice of algorithm ("none", another MAC) is the classic
  // JWS downgrade.
  if (header.alg !== 'HS256') return { ok: false, reason: `algorithm ${String(header.alg)} is not HS256` };
  if (header.kid !== token.id) return { ok: false, reason: `it is signed for token id ${String(header.kid)}, not ${token.id}` };
  const expected = createHmac('sha256', token.secret)
    .update(`${headerPart}.${base64url(content)}`)
    .digest();
  const actual = Buffer.from(signaturePart, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return { ok: false, reason: 'the signature does not match the token secret' };
  }
  return { ok: true };
}

/** A detached HS256 JWS over `content`, as the bootstrap signer writes it (for tests and tools). */
export function signDetached(content: string, token: BootstrapToken): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', kid: token.id }));
  const signature = createHmac('sha256', token.secret)
    .update(`${header}.${base64url(content)}`)
    .digest();
  return `${header}..${base64url(signature)}`;
}
