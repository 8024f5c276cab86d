import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../common/errors.js';
import type { Descriptor, Platform } from '../../../runtime/images/oci-types.js';
import { parsePlatform, selectPlatformManifest } from '../../../runtime/images/platform.js';

const digestOf = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const entry = (n: number, platform?: Platform): Descriptor => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: digestOf(n),
  size: 100,
  ...(platform && { platform }),
});

const index: Descriptor[] = [
  entry(1, { os: 'linux', architecture: 'amd64' }),
  entry(2, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
  entry(3, { os: 'linux', architecture: 'arm', variant: 'v6' }),
  entry(4, { os: 'unknown', architecture: 'unknown' }),
  entry(5),
];

describe('platform selection', () => {
  it.each([
    ['linux/amd64', 1],
    ['x86_64', 1],
    ['linux/arm64', 2],
    ['linux/aarch64', 2],
    ['linux/arm64/v8', 2],
    ['linux/arm/v7', 3],
    ['linux/arm/v6', 3],
  ])('picks the %s manifest', (wanted, expected) => {
    expect(selectPlatformManifest(index, parsePlatform(wanted), 'x').digest).toBe(digestOf(expected));
  });

  it('prefers the exact arm variant over a compatible older one', () => {
    const both = [entry(3, { os: 'linux', architecture: 'arm', variant: 'v6' }), entry(6, { os: 'linux', architecture: 'arm', variant: 'v7' })];
    expect(selectPlatformManifest(both, parsePlatform('linux/arm/v7'), 'x').digest).toBe(digestOf(6));
  });

  it('lists the available platforms when none matches', () => {
    expect(() => selectPlatformManifest(index, parsePlatform('linux/s390x'), 'docker.io/library/busybox:latest')).toThrow(
      new NotFoundError('image docker.io/library/busybox:latest has no manifest for platform linux/s390x; available: linux/amd64, linux/arm64/v8, linux/arm/v6'),
    );
  });

  it.each([['linux/amd64/v1/x'], ['linux/AMD64'], ['linux//amd64'], ['../x']])('refuses the platform string %s', (text) => {
    expect(() => parsePlatform(text)).toThrow(/invalid platform/);
  });
});
