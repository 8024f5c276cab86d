// A real docker-registry made to serve bad bytes: its own writable storage, an image pushed with
// skopeo, then one layer's data file overwritten with other bytes of the same length.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestMismatchError } from '../../../runtime/images/content-store.js';
import type { Digest } from '../../../runtime/images/digest.js';
import { parseReference } from '../../../runtime/images/reference.js';
import { startRegistry, type Registry } from '../../harness/registry.js';
import { seededOciLayout } from '../../harness/tools.js';
import { fileDigest, imageWorld } from './helpers.js';

let storage: string;
let registry: Registry | undefined;

beforeAll(async () => {
  storage = await mkdtemp(join(tmpdir(), 'berth-registry-storage-'));
  registry = await startRegistry({ storageDir: storage, readOnly: false });
  for (const repository of ['corrupt/busybox', 'resume/busybox']) {
    execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${seededOciLayout()}:busybox`, `docker://${registry.host}/${repository}:1`]);
  }
});
afterAll(async () => {
  await registry?.stop();
  await rm(storage, { recursive: true, force: true });
});

function blobData(digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return join(storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
}

async function layerOf(host: string, repository: string): Promise<{ digest: Digest; size: number }> {
  const response = await fetch(`http://${host}/v2/${repository}/manifests/1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const manifest = (await response.json()) as { layers: { digest: Digest; size: number }[] };
  const layer = manifest.layers[0];
  if (!layer) throw new Error('pushed image has no layer');
  return layer;
}

describe('pull verification against a real registry serving corrupt bytes', () => {
  it('refuses a layer whose bytes do not match its digest and commits nothing', async () => {
    if (!registry) throw new Error('registry did not start');
    // The registry keeps one data file per blob, shared by both repositories: the original
    // bytes are written back whatever happens.
    const layer = await layerOf(registry.host, 'corrupt/busybox');
    const path = blobData(layer.digest);
    const { size } = await stat(path);
    const original = Buffer.alloc(size);
    const file = await open(path, 'r+');
    try {
      await file.read(original, 0, size, 0);
      await file.write(Buffer.alloc(size, 0x5a), 0, size, 0);
      const world = await imageWorld(registry.host);
      try {
        await expect(world.puller.pull(`${registry.host}/corrupt/busybox:1`)).rejects.toThrow(DigestMismatchError);
        expect(await world.content.has(layer.digest)).toBe(false);
        expect(await readdir(join(world.root, 'content/ingest'))).toEqual([]);
        expect(world.images.list()).toEqual([]);
      } finally {
        await world.cleanup();
      }
    } finally {
      await file.write(original, 0, size, 0);
      await file.close();
    }
  });

  it('resumes a partial layer with an HTTP Range request and verifies the whole layer', async () => {
    if (!registry) throw new Error('registry did not start');
    const layer = await layerOf(registry.host, 'resume/busybox');
    const world = await imageWorld(registry.host);
    try {
      const { repository } = await world.registry.resolve(parseReference(`${registry.host}/resume/busybox:1`));
      const half = Math.floor(layer.size / 2);
      // The registry really answers the range: the source starts where it was asked to.
      const ranged = await repository.blobSource(layer)(half);
      expect(ranged.start).toBe(half);
      for await (const _chunk of ranged.body) break;

      const whole = await readFile(blobData(layer.digest));
      await mkdir(join(world.root, 'content/ingest'), { recursive: true });
      await writeFile(world.content.partialPath(layer.digest), whole.subarray(0, half));

      const record = await world.puller.pull(`${registry.host}/resume/busybox:1`);
      expect(record.layers[0]?.digest).toBe(layer.digest);
      expect(await fileDigest(world.content.blobPath(layer.digest))).toBe(layer.digest);
    } finally {
      await world.cleanup();
    }
  });
});
