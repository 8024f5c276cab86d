// Pulls from the real seeded docker-registry (plain http on loopback).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { NotFoundError } from '../../../common/errors.js';
import { parseReference } from '../../../runtime/images/reference.js';
import { RegistryClient } from '../../../runtime/images/registry-client.js';
import { seededImages, seededOciLayout } from '../../harness/tools.js';
import { fileDigest, imageWorld, type ImageWorld } from './helpers.js';

const host = inject('registryHost');
let world: ImageWorld;
beforeEach(async () => {
  world = await imageWorld(host);
});
afterEach(async () => {
  await world.cleanup();
});

function indexEntries(): { digest: string; platform?: { architecture: string } }[] {
  const index = seededImages().find((image) => image.ref === 'busybox:index');
  if (!index) throw new Error('seeded registry lacks busybox:index');
  const bytes = readFileSync(join(seededOciLayout(), 'blobs/sha256', index.digest.slice('sha256:'.length)), 'utf8');
  return (JSON.parse(bytes) as { manifests: { digest: string; platform?: { architecture: string } }[] }).manifests;
}

describe('pull from the real docker-registry', () => {
  it('pulls busybox:latest (a single OCI manifest) and records it under its normalized name', async () => {
    const seeded = seededImages().find((image) => image.ref === 'busybox:latest');
    const record = await world.puller.pull(`${host}/busybox:latest`);
    expect(record.repoTags).toEqual([`${host}/busybox:latest`]);
    expect(record.repoDigests).toEqual([`${host}/busybox@${seeded?.digest}`]);
    expect(record.manifestDigest).toBe(seeded?.digest);
    expect(record.layers.length).toBe(record.diffIds.length);
    expect(world.images.get(`${host}/busybox`)?.id).toBe(record.id);
  });

  it('stores every blob of the pulled image under a path whose content hashes to its digest', async () => {
    const record = await world.puller.pull(`${host}/busybox:latest`);
    for (const digest of [record.manifestDigest, record.id, ...record.layers.map((layer) => layer.digest)]) {
      expect(await fileDigest(join(world.root, 'content/blobs/sha256', digest.slice('sha256:'.length)))).toBe(digest);
    }
  });

  it('selects the linux/amd64 manifest from busybox:index by default', async () => {
    const amd64 = indexEntries().find((entry) => entry.platform?.architecture === 'amd64');
    // The default is the host's platform, and these machines are amd64.
    const record = await world.puller.pull(`${host}/busybox:index`);
    expect(record.manifestDigest).toBe(amd64?.digest);
    expect(record.config.architecture).toBe('amd64');
  });

  it('selects the linux/arm64 manifest from busybox:index when asked', async () => {
    const arm64 = indexEntries().find((entry) => entry.platform?.architecture === 'arm64');
    const record = await world.puller.pull(`${host}/busybox:index`, { platform: { os: 'linux', architecture: 'arm64' } });
    expect(record.manifestDigest).toBe(arm64?.digest);
    expect(record.config.architecture).toBe('arm64');
  });

  it('fails with the available platforms when the index has none for the request', async () => {
    await expect(world.puller.pull(`${host}/busybox:index`, { platform: { os: 'linux', architecture: 's390x' } })).rejects.toThrow(
      /no manifest for platform linux\/s390x; available: linux\/amd64, linux\/arm64/,
    );
  });

  it('pulls by digest and records the digest reference', async () => {
    const seeded = seededImages().find((image) => image.ref === 'busybox:latest');
    const record = await world.puller.pull(`${host}/busybox@${seeded?.digest}`);
    expect(record.repoTags).toEqual([]);
    expect(world.images.get(`${host}/busybox@${seeded?.digest}`)?.id).toBe(record.id);
  });

  it('reports NotFound for a tag the registry does not have', async () => {
    await expect(world.puller.pull(`${host}/busybox:no-such-tag`)).rejects.toThrow(NotFoundError);
  });

  it('resolves a public name through a mirror to the local registry', async () => {
    const client = new RegistryClient({ hosts: { mirrors: { 'registry.k8s.io': [`http://${host}`] } } });
    const seeded = seededImages().find((image) => image.ref === 'pause:3.9');
    const { manifest } = await client.resolve(parseReference('registry.k8s.io/pause:3.9'));
    expect(manifest.digest).toBe(seeded?.digest);
  });

  it('reports progress up to each blob size', async () => {
    const last = new Map<string, { done: number; total: number }>();
    await world.puller.pull(`${host}/busybox:latest`, { onProgress: (p) => last.set(p.digest, { done: p.done, total: p.total }) });
    expect(last.size).toBeGreaterThanOrEqual(2);
    for (const { done, total } of last.values()) expect(done).toBe(total);
  });
});
