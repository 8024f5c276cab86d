// Content digests ("sha256:<64 hex>"). A digest names a file on disk and a URL path segment, so it
// is validated here, once, before it is used for either; only sha256 is accepted because it is
// the only algorithm registries and the OCI spec require, and an unknown algorithm must not
// become a directory name.
import { createHash, type Hash } from 'node:crypto';
import { InvalidArgumentError } from '../../common/errors.js';

export type Digest = `sha256:${string}`;

const digestPattern = /^sha256:[a-f0-9]{64}$/;

export function isDigest(text: string): text is Digest {
  return digestPattern.test(text);
}

/** Returns `text` as a Digest or throws InvalidArgumentError naming it. */
export function parseDigest(text: string, what = 'digest'): Digest {
  if (!isDigest(text)) {
    throw new InvalidArgumentError(`invalid ${what} ${JSON.stringify(truncate(text))}: expected "sha256:" followed by 64 lowercase hex characters`);
  }
  return text;
}

/** The 64 hex characters of a digest. */
export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

/** The digest's path below a blob root, e.g. "sha256/<hex>": never escapes the root. */
export function digestPath(digest: Digest): string {
  return `sha256/${digestHex(parseDigest(digest))}`;
}

export function sha256Hasher(): Hash {
  return createHash('sha256');
}

export function hashDigest(hash: Hash): Digest {
  return `sha256:${hash.digest('hex')}`;
}

export function sha256Of(bytes: Uint8Array | string): Digest {
  return hashDigest(sha256Hasher().update(bytes));
}

function truncate(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
