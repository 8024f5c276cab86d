// The disk filling up during a pull, on a real filesystem: berth's root dir is a 64 MiB ext4
// image mounted through a loop device. A pull that does not fit fails RESOURCE_EXHAUSTED, leaves
// no partial blob, snapshot or record, berth stays up, and once space is back the next pull works.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, statfs, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CriCallError, CriClient } from '../../../cri/client/cri-client.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { startRegistry, type Registry } from '../../harness/registry.js';
import { gzipLayer, pushImage, tarLayer } from './push.js';
import { storeState } from './store-state.js';

const seeded = inject('registryHost');
const goodImage = `${seeded}/busybox:latest`;
const MiB = 1024 * 1024;

let work: string;
let mountpoint: string;
let mounted = false;
let storage: string;
let registry: Registry;
let berth: Berth;
let client: CriClient;

async function freeBytes(): Promise<number> {
  const { bavail, bsize } = await statfs(mountpoint);
  return bavail * bsize;
}

/** An image of one uncompressed layer holding `size` random bytes: it takes what it says. */
async function pushRandomImage(repository: string, size: number): Promise<string> {
  await pushImage(registry.url, repository, '1', { layers: [await tarLayer([{ name: 'random', type: 'file', content: randomBytes(size) }])] });
  return `${registry.host}/${repository}:1`;
}

async function refusal(ref: string): Promise<CriCallError> {
  const error = await client.pullImage(ref).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(CriCallError);
  return error as CriCallError;
}

async function imageTags(): Promise<string[]> {
  return (await client.listImages()).images.flatMap((image) => image.repoTags).sort();
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-disk-full-'));
  const image = join(work, 'root.ext4');
  mountpoint = join(work, 'root');
  await mkdir(mountpoint);
  await (await open(image, 'w')).close();
  await truncate(image, 64 * MiB);
  execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
  execFileSync('mount', ['-o', 'loop', image, mountpoint]);
  mounted = true;

  storage = await mkdtemp(join(tmpdir(), 'berth-disk-full-registry-'));
  registry = await startRegistry({ storageDir: storage, readOnly: false });
  berth = await startBerth({ logLevel: 'info', args: ['--insecure-registry', seeded, '--insecure-registry', registry.host, '--root-dir', mountpoint] });
  client = new CriClient({ endpoint: berth.socket });
  await client.pullImage(goodImage);
});

afterAll(async () => {
  try {
    client?.close();
    await berth?.stop();
    await registry?.stop();
    if (storage) await rm(storage, { recursive: true, force: true });
  } finally {
    // Whatever failed above, the loop mount goes: a lazy unmount only if something still holds it.
    if (mounted) {
      try {
        execFileSync('umount', [mountpoint]);
      } catch {
        execFileSync('umount', ['-l', mountpoint]);
      }
    }
    if (work) await rm(work, { recursive: true, force: true });
  }
});

describe('pulling onto a full disk (berth root on a 64 MiB loop-mounted ext4)', () => {
  it('fails RESOURCE_EXHAUSTED while downloading a layer bigger than the disk, and keeps no partial blob', async () => {
    const ref = await pushRandomImage('fill/bigger-than-disk', 80 * MiB);
    const before = await storeState(mountpoint);
    const free = await freeBytes();
    expect(free).toBeLessThan(80 * MiB);

    const error = await refusal(ref);
    expect(GrpcStatus[error.grpcCode]).toBe('RESOURCE_EXHAUSTED');
    expect(error.message).toMatch(/no space left on device storing blob sha256:[a-f0-9]{64} in .*content\/ingest/);

    expect(await storeState(mountpoint)).toEqual(before);
    expect(await freeBytes()).toBeGreaterThan(free - MiB);
    expect(await imageTags()).toEqual([goodImage]);
    expect((await client.version()).runtimeName).toBe('berth');
  });

  it('fails RESOURCE_EXHAUSTED when the layer downloads but its unpack cannot fit, and keeps neither blob nor snapshot', async () => {
    const free = await freeBytes();
    // The blob fits; the blob and its unpacked copy together do not.
    const size = Math.floor((free * 0.6) / MiB) * MiB;
    const ref = await pushRandomImage('fill/unpack-does-not-fit', size);
    const before = await storeState(mountpoint);

    const error = await refusal(ref);
    expect(GrpcStatus[error.grpcCode]).toBe('RESOURCE_EXHAUSTED');
    // Refused by the free-space bound once the unpack has written that much, not by ENOSPC.
    expect(error.message).toMatch(/layer sha256:[a-f0-9]{64} decompresses to more than \d+ bytes \(the space free under .*snapshots: the layer does not fit\)/);

    expect(await storeState(mountpoint)).toEqual(before);
    expect(await freeBytes()).toBeGreaterThan(free - MiB);
    expect(await imageTags()).toEqual([goodImage]);
  });

  it('fails RESOURCE_EXHAUSTED when the filesystem runs out of inodes mid-unpack, and keeps no half snapshot', async () => {
    // A few MiB of tar headers, far under the free space, but more files than the filesystem has
    // inodes: the unpack itself hits ENOSPC part way through.
    const { ffree } = await statfs(mountpoint);
    const entries = Array.from({ length: ffree + 1000 }, (_, i) => ({ name: `d${i % 16}/f${i}`, type: 'file' as const, content: '' }));
    await pushImage(registry.url, 'fill/inodes', '1', { layers: [await gzipLayer(entries)] });
    const ref = `${registry.host}/fill/inodes:1`;
    const before = await storeState(mountpoint);

    const error = await refusal(ref);
    expect(GrpcStatus[error.grpcCode]).toBe('RESOURCE_EXHAUSTED');
    expect(error.message).toMatch(/no space left on device unpacking layer sha256:[a-f0-9]{64} in .*snapshots/);

    expect(await storeState(mountpoint)).toEqual(before);
    expect((await statfs(mountpoint)).ffree).toBe(ffree);
    expect(await imageTags()).toEqual([goodImage]);
  });

  it('pulls again once space returns', async () => {
    const ref = await pushRandomImage('fill/small', 4 * MiB);
    const filler = join(mountpoint, 'filler');
    const handle = await open(filler, 'w');
    try {
      // Everything but 1 MiB, written for real (a sparse file would take no space).
      const chunk = Buffer.alloc(MiB, 1);
      let left = (await freeBytes()) - MiB;
      while (left > 0) {
        const { bytesWritten } = await handle.write(chunk, 0, Math.min(chunk.length, left));
        left -= bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    const before = await storeState(mountpoint);

    const error = await refusal(ref);
    expect(GrpcStatus[error.grpcCode]).toBe('RESOURCE_EXHAUSTED');
    expect(error.message).toMatch(/no space left on device storing blob sha256:[a-f0-9]{64}/);
    expect(await storeState(mountpoint)).toEqual(before);

    await rm(filler);
    const pulled = await client.pullImage(ref);
    expect((await client.imageStatus(ref)).image?.id).toBe(pulled.imageRef);
    expect(await imageTags()).toEqual([ref, goodImage].sort());
    // The image that was there all along pulls afresh too.
    await client.removeImage(goodImage);
    expect((await client.pullImage(goodImage)).imageRef).toMatch(/^sha256:/);
  });
});
