// The seeded registry (real docker-registry, started by the integration tier's globalSetup)
// serves every test image, and every byte it serves matches its digest.
import { createHash } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { seededImages } from '../harness/tools.js';

const registry = `http://${inject('registryHost')}`;
const manifestTypes = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function get(path: string, accept?: string): Promise<{ bytes: Uint8Array; headers: Headers }> {
  const response = await fetch(`${registry}/v2/${path}`, accept ? { headers: { accept } } : {});
  expect(response.status, path).toBe(200);
  return { bytes: new Uint8Array(await response.arrayBuffer()), headers: response.headers };
}

/** Fetches a manifest by digest and every blob it names, checking each against its digest. */
async function checkManifest(repository: string, descriptor: Descriptor): Promise<void> {
  const { bytes, headers } = await get(`${repository}/manifests/${descriptor.digest}`, manifestTypes);
  expect(sha256(bytes)).toBe(descriptor.digest);
  expect(bytes.length).toBe(descriptor.size);
  expect(headers.get('docker-content-digest')).toBe(descriptor.digest);
  const manifest = JSON.parse(Buffer.from(bytes).toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
  expect(manifest.layers.length).toBeGreaterThan(0);
  for (const blob of [manifest.config, ...manifest.layers]) {
    const { bytes: content } = await get(`${repository}/blobs/${blob.digest}`);
    expect(sha256(content), `${repository} ${blob.digest}`).toBe(blob.digest);
    expect(content.length).toBe(blob.size);
  }
}

describe('seeded registry', () => {
  const images = seededImages();

  it('holds busybox both as a single manifest and inside an image index, plus critest images', () => {
    const refs = images.map((image) => image.ref);
    expect(refs).toEqual(
      expect.arrayContaining([
        'busybox:latest',
        'busybox:index',
        'httpd:latest',
        'pause:3.9',
        'e2e-test-images/busybox:1.29-2',
        'e2e-test-images/nginx:1.14-2',
        'k8s-staging-cri-tools/test-image-tags:1',
        'k8s-staging-cri-tools/test-image-user-uid:latest',
        'k8s-staging-cri-tools/hostnet-nginx-amd64:latest',
      ]),
    );
  });

  it.each(images.map((image) => [image.ref, image] as const))('serves %s with verified digests', async (_ref, image) => {
    const [repository, tag] = [image.ref.slice(0, image.ref.lastIndexOf(':')), image.ref.split(':').pop()];
    const { bytes, headers } = await get(`${repository}/manifests/${tag}`, manifestTypes);
    expect(sha256(bytes)).toBe(image.digest);
    expect(headers.get('docker-content-digest')).toBe(image.digest);

    const top = JSON.parse(Buffer.from(bytes).toString('utf8')) as { mediaType: string; manifests?: Descriptor[] };
    if (top.mediaType === 'application/vnd.oci.image.index.v1+json') {
      const platforms = (top.manifests ?? []).map((m) => `${m.platform?.os}/${m.platform?.architecture}`);
      expect(platforms).toContain('linux/amd64');
      for (const platformManifest of top.manifests ?? []) await checkManifest(repository, platformManifest);
    } else {
      await checkManifest(repository, { mediaType: top.mediaType, digest: image.digest, size: bytes.length });
    }
  });

  it('refuses pushes, so no test can change the seeded images', async () => {
    const response = await fetch(`${registry}/v2/busybox/blobs/uploads/`, { method: 'POST' });
    expect(response.status).toBeGreaterThanOrEqual(400);
  });
});
