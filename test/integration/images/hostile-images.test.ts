// Hostile image content beyond the layers' tar entries, served by a real docker-registry and
// pulled through berth's CRI PullImage: each image is refused with the right gRPC code and a
// message naming what is wrong, and berth's content store, image records and snapshots hold
// nothing of it afterwards. berth runs with --max-layer-size 64Mi, so the bomb stays cheap.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CriCallError, CriClient } from '../../../cri/client/cri-client.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { startRegistry, type Registry } from '../../harness/registry.js';
import { startLyingRegistry, type LyingRegistry } from './lying-registry.js';
import { gzip, gzipLayer, ociIndex, ociLayerGzip, ociManifest, pushImage, pushIndex, sha256, type Layer } from './push.js';
import { storeState } from './store-state.js';

const seeded = inject('registryHost');
const goodImage = `${seeded}/busybox:latest`;
const maxLayer = 64 * 1024 * 1024;

let storage: string;
let registry: Registry;
let front: LyingRegistry;
let berth: Berth;
let client: CriClient;

beforeAll(async () => {
  storage = await mkdtemp(join(tmpdir(), 'berth-hostile-registry-'));
  registry = await startRegistry({ storageDir: storage, readOnly: false });
  front = await startLyingRegistry(registry.url);
  berth = await startBerth({
    logLevel: 'info',
    args: ['--insecure-registry', seeded, '--insecure-registry', registry.host, '--insecure-registry', front.host, '--max-layer-size', String(maxLayer)],
  });
  client = new CriClient({ endpoint: berth.socket });
  // Once through pull, remove and pull, so every store directory a later removal makes exists
  // before the first case looks.
  await client.pullImage(goodImage);
  await client.removeImage(goodImage);
  await client.pullImage(goodImage);
});

afterAll(async () => {
  client?.close();
  await berth?.stop();
  await front?.stop();
  await registry?.stop();
  await rm(storage, { recursive: true, force: true });
});

const smallLayer = (): Promise<Layer> => gzipLayer([{ name: 'etc/hostile', type: 'file', content: 'hostile\n' }]);

/** A tar holding one file of `size` zero bytes, gzipped: ~1000:1. */
async function bombLayer(size: number): Promise<Layer> {
  const archive = pack();
  const hash = createHash('sha256');
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of archive as AsyncIterable<Buffer>) {
      hash.update(chunk);
      yield chunk;
    }
  }
  const compressed = gzip(Readable.from(hashed()));
  const entry = archive.entry({ name: 'bomb', type: 'file', size, mode: 0o644 });
  const zeros = Buffer.alloc(1024 * 1024);
  for (let written = 0; written < size; written += zeros.length) {
    if (!entry.write(zeros)) await once(entry, 'drain');
  }
  entry.end(Buffer.alloc(0));
  archive.finalize();
  const blob = await compressed;
  return { blob, mediaType: ociLayerGzip, diffId: `sha256:${hash.digest('hex')}` };
}

interface Registries {
  /** The real, writable docker-registry. */
  url: string;
  host: string;
  /** A front for it that serves what docker-registry would not. */
  front: LyingRegistry;
}

interface HostileCase {
  name: string;
  /** Pushes or forges the image; answers the reference to pull. */
  push: (registries: Registries) => Promise<string>;
  code: GrpcStatus;
  message: RegExp;
}

function hugeManifest(): Buffer {
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(Buffer.from('{}')), size: 2 };
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: ociManifest, config, layers: [], annotations: { padding: 'x'.repeat(12 * 1024 * 1024) } }));
}

function indexOf(child: { digest: string; size: number }): Buffer {
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: ociIndex, manifests: [{ mediaType: ociIndex, ...child, platform: { os: 'linux', architecture: 'amd64' } }] }));
}

const cases: HostileCase[] = [
  {
    name: 'a manifest of 12 MiB, far over the 4 MiB manifest limit',
    push: async ({ front }) => {
      front.forge('hostile/huge-manifest', '1', { mediaType: ociManifest, body: hugeManifest() });
      return `${front.host}/hostile/huge-manifest:1`;
    },
    code: GrpcStatus.RESOURCE_EXHAUSTED,
    message: /manifest hostile\/huge-manifest:1 at http:\/\/127\.0\.0\.1:\d+ is \d{8} bytes, over the 4194304-byte manifest limit/,
  },
  {
    name: 'a manifest of 12 MiB sent chunked, without a Content-Length',
    push: async ({ front }) => {
      front.forge('hostile/huge-manifest-chunked', '1', { mediaType: ociManifest, body: hugeManifest(), chunked: true });
      return `${front.host}/hostile/huge-manifest-chunked:1`;
    },
    code: GrpcStatus.RESOURCE_EXHAUSTED,
    message: /manifest hostile\/huge-manifest-chunked:1 .* is over the 4194304-byte manifest limit/,
  },
  {
    name: 'an index listing a manifest of 12 MiB',
    push: async ({ front }) => {
      const child = hugeManifest();
      front.forge('hostile/index-huge-manifest', '1', { mediaType: ociIndex, body: indexOf({ digest: sha256(child), size: child.length }) });
      front.forge('hostile/index-huge-manifest', sha256(child), { mediaType: ociManifest, body: child });
      return `${front.host}/hostile/index-huge-manifest:1`;
    },
    code: GrpcStatus.RESOURCE_EXHAUSTED,
    message: /manifest sha256:[a-f0-9]{64} of .* is \d{8} bytes, over the 4194304-byte manifest limit/,
  },
  {
    // An index cannot hold its own digest (that would be a sha256 fixpoint), so "pointing at
    // itself" is a registry answering the child's digest with the index.
    name: 'an index pointing at itself (the registry answers its child digest with the index)',
    push: async ({ front }) => {
      const child = sha256(Buffer.from('the index itself'));
      const self = indexOf({ digest: child, size: 512 });
      front.forge('hostile/self-index', '1', { mediaType: ociIndex, body: self });
      front.forge('hostile/self-index', child, { mediaType: ociIndex, body: self });
      return `${front.host}/hostile/self-index:1`;
    },
    code: GrpcStatus.INTERNAL,
    message: /manifest hostile\/self-index:sha256:[a-f0-9]{64} .*: content hashes to sha256:[a-f0-9]{64}; the registry served corrupt or substituted bytes/,
  },
  {
    name: 'a config of 24 MiB, far over the 8 MiB config limit',
    push: async ({ url, host }) => {
      await pushImage(url, 'hostile/huge-config', '1', { layers: [await smallLayer()], extra: { comment: 'x'.repeat(24 * 1024 * 1024) } });
      return `${host}/hostile/huge-config:1`;
    },
    code: GrpcStatus.RESOURCE_EXHAUSTED,
    message: /config sha256:[a-f0-9]{64} of .*hostile\/huge-config:1 is \d+ bytes, over the 8388608-byte config limit/,
  },
  {
    name: 'a decompression bomb: 1 MiB of gzip that inflates to 1 GiB',
    push: async ({ url, host }) => {
      await pushImage(url, 'hostile/bomb', '1', { layers: [await smallLayer(), await bombLayer(1024 * 1024 * 1024)] });
      return `${host}/hostile/bomb:1`;
    },
    code: GrpcStatus.RESOURCE_EXHAUSTED,
    message: new RegExp(`layer sha256:[a-f0-9]{64} decompresses to more than ${maxLayer} bytes \\(the maximum layer size, --max-layer-size: a decompression bomb`),
  },
  {
    name: "a layer whose diff_id is not the config's rootfs.diff_ids entry",
    push: async ({ url, host }) => {
      const layers = [await smallLayer(), await gzipLayer([{ name: 'etc/other', type: 'file', content: 'other\n' }])];
      await pushImage(url, 'hostile/diff-id', '1', { layers, diffIds: [layers[0]?.diffId ?? '', sha256(Buffer.from('not this layer'))] });
      return `${host}/hostile/diff-id:1`;
    },
    code: GrpcStatus.INVALID_ARGUMENT,
    message: /layer sha256:[a-f0-9]{64} unpacks to sha256:[a-f0-9]{64}, but the image config says sha256:[a-f0-9]{64}; the layer was not committed/,
  },
  {
    name: 'an index → index → index → index chain, deeper than the 3 levels allowed',
    push: async ({ url, host }) => {
      let child = await pushImage(url, 'hostile/deep-index', 'manifest', { layers: [await smallLayer()] });
      for (let depth = 1; depth <= 4; depth++) child = await pushIndex(url, 'hostile/deep-index', `depth-${depth}`, child);
      return `${host}/hostile/deep-index:depth-4`;
    },
    code: GrpcStatus.INVALID_ARGUMENT,
    message: /nests image indexes deeper than 3 levels/,
  },
  {
    name: 'a config with a million Env entries',
    push: async ({ url, host }) => {
      // 5 bytes of JSON each: under the config limit, so the Env check is what refuses it.
      const env = new Array<string>(1_000_000).fill('A=1');
      await pushImage(url, 'hostile/env-count', '1', { layers: [await smallLayer()], run: { Env: env } });
      return `${host}/hostile/env-count:1`;
    },
    code: GrpcStatus.INVALID_ARGUMENT,
    message: /config\.Env has 1000000 entries, which bring the command and environment to over the 2097152 bytes execve accepts/,
  },
  {
    name: 'a config with a 1 MiB Env string',
    push: async ({ url, host }) => {
      await pushImage(url, 'hostile/env-size', '1', { layers: [await smallLayer()], run: { Env: ['PATH=/bin', `HUGE=${'y'.repeat(1024 * 1024)}`] } });
      return `${host}/hostile/env-size:1`;
    },
    code: GrpcStatus.INVALID_ARGUMENT,
    message: /config\.Env\[1\] is 1048581 bytes, over the 131072-byte limit execve puts on one string/,
  },
  {
    name: 'a config whose volume path climbs out with ".."',
    push: async ({ url, host }) => {
      await pushImage(url, 'hostile/volume-dotdot', '1', { layers: [await smallLayer()], run: { Volumes: { '/data': {}, '/data/../../etc': {} } } });
      return `${host}/hostile/volume-dotdot:1`;
    },
    code: GrpcStatus.INVALID_ARGUMENT,
    message: /config\.Volumes path "\/data\/\.\.\/\.\.\/etc" has a "\.\." component/,
  },
  {
    name: 'a config with 100 000 volumes',
    push: async ({ url, host }) => {
      const volumes = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`/v${i}`, {}]));
      await pushImage(url, 'hostile/volume-count', '1', { layers: [await smallLayer()], run: { Volumes: volumes } });
      return `${host}/hostile/volume-count:1`;
    },
    code: GrpcStatus.INVALID_ARGUMENT,
    message: /config\.Volumes lists 100000 volumes, more than the 1024 allowed/,
  },
  {
    name: 'a config whose Entrypoint is not a list of strings',
    push: async ({ url, host }) => {
      await pushImage(url, 'hostile/entrypoint-type', '1', { layers: [await smallLayer()], run: { Entrypoint: [['/bin/sh']] } });
      return `${host}/hostile/entrypoint-type:1`;
    },
    code: GrpcStatus.INVALID_ARGUMENT,
    message: /config\.Entrypoint\[0\] is not a string/,
  },
];

async function imageNames(): Promise<string[]> {
  return (await client.listImages()).images.flatMap((image) => [image.id, ...image.repoTags]).sort();
}

describe('hostile images pulled through CRI PullImage', () => {
  it.each(cases.map((c) => [c.name, c] as const))('refuses %s and keeps nothing of it', async (_name, hostile) => {
    const ref = await hostile.push({ url: registry.url, host: registry.host, front });
    const before = await storeState(berth.rootDir);
    const listed = await imageNames();

    const refusal = await client.pullImage(ref).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(CriCallError);
    const error = refusal as CriCallError;
    expect({ code: GrpcStatus[error.grpcCode], message: error.message }).toMatchObject({ code: GrpcStatus[hostile.code], message: expect.stringMatching(hostile.message) });

    expect(await storeState(berth.rootDir)).toEqual(before);
    expect(await imageNames()).toEqual(listed);
    expect((await client.imageStatus(ref)).image).toBeNull();
    // berth is alive, and a good image pulls after the refusal.
    await client.removeImage(goodImage);
    expect((await client.pullImage(goodImage)).imageRef).toMatch(/^sha256:/);
    expect(await imageNames()).toEqual(listed);
  });

  it('pulls an image behind an index → index → manifest chain, within the 3 levels allowed', async () => {
    const layer = await gzipLayer([{ name: 'etc/nested', type: 'file', content: 'nested\n' }]);
    const manifest = await pushImage(registry.url, 'nested/index', 'manifest', { layers: [layer] });
    const inner = await pushIndex(registry.url, 'nested/index', 'inner', manifest);
    const outer = await pushIndex(registry.url, 'nested/index', 'outer', inner);
    const ref = `${registry.host}/nested/index:outer`;
    const pulled = await client.pullImage(ref);
    const status = await client.imageStatus(ref);
    expect(status.image?.id).toBe(pulled.imageRef);
    expect(status.image?.repoDigests).toEqual([`${registry.host}/nested/index@${outer.digest}`]);
    // The record names the top index and the manifest: those are stored, the index between is
    // not (no image would reference it, so nothing would ever remove it).
    const blobPath = (digest: string): string => join('content/blobs/sha256', digest.slice('sha256:'.length));
    const stored = await storeState(berth.rootDir);
    expect(stored).toEqual(expect.arrayContaining([blobPath(outer.digest), blobPath(manifest.digest)]));
    expect(stored).not.toContain(blobPath(inner.digest));
    await client.removeImage(ref);
    expect(await storeState(berth.rootDir)).not.toContain(blobPath(outer.digest));
  });

  it('keeps a layer blob another image uses when a pull sharing it fails', async () => {
    // The refused image reuses the good image's own layer under a wrong diff_id: the failed pull
    // must not delete the blob the good image still needs.
    const good = await client.imageStatus(goodImage);
    expect(good.image).not.toBeNull();
    const manifestResponse = await fetch(`http://${seeded}/v2/busybox/manifests/latest`, { headers: { accept: ociManifest } });
    const goodManifest = (await manifestResponse.json()) as { layers: { digest: string; size: number; mediaType: string }[] };
    const shared = goodManifest.layers[0];
    if (!shared) throw new Error('busybox has no layer');
    const blob = Buffer.from(await (await fetch(`http://${seeded}/v2/busybox/blobs/${shared.digest}`)).arrayBuffer());
    const ref = `${registry.host}/hostile/shared-layer:1`;
    await pushImage(registry.url, 'hostile/shared-layer', '1', {
      layers: [{ blob, mediaType: shared.mediaType, diffId: sha256(Buffer.from('wrong')) }],
    });
    const before = await storeState(berth.rootDir);
    await expect(client.pullImage(ref)).rejects.toThrow(/unpacks to sha256:[a-f0-9]{64}, but the image config says/);
    expect(await storeState(berth.rootDir)).toEqual(before);
    expect(before).toContain(join('content/blobs/sha256', shared.digest.slice('sha256:'.length)));
  });
});
