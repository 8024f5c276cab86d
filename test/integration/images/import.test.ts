// Imports the OCI layout the registry was seeded from (umoci's output), as a directory and as a
// tar made by the real tar, with no registry involved.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importArchive, importOciLayout } from '../../../runtime/images/import.js';
import { seededImages, seededOciLayout } from '../../harness/tools.js';
import { fileDigest, imageWorld, type ImageWorld } from './helpers.js';

let world: ImageWorld;
let scratch: string;
beforeEach(async () => {
  world = await imageWorld('unused.invalid');
  scratch = await mkdtemp(join(tmpdir(), 'berth-import-'));
});
afterEach(async () => {
  await world.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

const repository = 'localhost/berth/seeded';

describe('import of an OCI image layout', () => {
  it('imports every tagged image of the seeded layout under the given repository', async () => {
    await importOciLayout(seededOciLayout(), world, { repository });
    const busybox = seededImages().find((image) => image.ref === 'busybox:latest');
    const record = world.images.get(`${repository}:busybox`);
    expect(record?.manifestDigest).toBe(busybox?.digest);
    expect(record?.repoDigests).toEqual([`${repository}@${busybox?.digest}`]);
  });

  it('picks the host platform from an index entry of the layout', async () => {
    await importOciLayout(seededOciLayout(), world, { repository });
    const record = world.images.get(`${repository}:busybox-index`);
    expect(record?.config.architecture).toBe('amd64');
    expect(record?.indexDigest).toBe(seededImages().find((image) => image.ref === 'busybox:index')?.digest);
  });

  it('stores only blobs that hash to their digests', async () => {
    await importOciLayout(seededOciLayout(), world, { repository });
    const blobs = await world.content.list();
    expect(blobs.length).toBeGreaterThan(0);
    for (const blob of blobs) expect(await fileDigest(world.content.blobPath(blob.digest))).toBe(blob.digest);
  });

  it('imports bare-tag entries by id only when no repository is given', async () => {
    const records = await importOciLayout(seededOciLayout(), world);
    expect(records.length).toBeGreaterThan(0);
    expect(world.images.list().flatMap((image) => image.repoTags)).toEqual([]);
  });

  it('imports a tar of the layout made by tar, without leaving unreferenced blobs', async () => {
    const tarPath = join(scratch, 'layout.tar');
    execFileSync('tar', ['-C', seededOciLayout(), '-cf', tarPath, '.']);
    await importArchive(tarPath, world, { repository });
    expect(world.images.get(`${repository}:pause`)?.manifestDigest).toBe(seededImages().find((image) => image.ref === 'pause:3.9')?.digest);
    const referenced = world.images.referencedBlobs();
    expect((await world.content.list()).filter((blob) => !referenced.has(blob.digest))).toEqual([]);
  });
});
