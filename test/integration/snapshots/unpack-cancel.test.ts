// A layer unpack whose caller goes away (a PullImage or CreateContainer cancelled by its
// client), with the real content store, the real zstd and the real overlay snapshotter: the
// layer's blob is a FIFO the test feeds by hand, so the unpack is provably in the middle (zstd
// running, waiting for input) when the signal aborts. zstd is killed at once, the half-written
// snapshot goes, nothing is committed; the next unpack of the same image, with the whole blob,
// commits the layer.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../../../common/errors.js';
import { silentLogger } from '../../../common/logger.js';
import { ContentStore } from '../../../runtime/images/content-store.js';
import type { Digest } from '../../../runtime/images/digest.js';
import { SnapshotLayerUnpacker } from '../../../runtime/images/layer-unpacker.js';
import { mediaTypes } from '../../../runtime/images/oci-types.js';
import { chainIds } from '../../../runtime/snapshots/chain-id.js';
import { OverlaySnapshotter } from '../../../runtime/snapshots/snapshotter.js';
import { eventually } from '../../harness/eventually.js';
import { requireRoot } from '../../harness/root.js';
import { buildTar } from './tar-fixtures.js';

requireRoot('integration');

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'berth-unpack-cancel-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Pids of zstd decoders (berth's command line) that are children of this process. */
async function zstdDecoders(): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const [cmdline, stat] = await Promise.all([readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => ''), readFile(`/proc/${name}/stat`, 'utf8').catch(() => '')]);
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (cmdline === 'zstd\0-d\0-c\0-q\0' && ppid === process.pid) found.push(Number(name));
  }
  return found;
}

describe('a layer unpack whose caller goes away (real content store, zstd, overlay snapshotter)', () => {
  it('kills zstd, removes the half-written snapshot and commits nothing; the next unpack commits the layer', async () => {
    // Random bytes do not compress: the blob stays large enough that half of it leaves zstd waiting.
    const payload = Buffer.from(Array.from({ length: 4 * 1024 * 1024 }, (_, i) => (i * 7919) % 251));
    const tar = await buildTar([
      { name: 'data/', type: 'directory', mode: 0o755 },
      { name: 'data/big', type: 'file', mode: 0o644, content: payload },
    ]);
    const compressed = Buffer.from((await execa('zstd', ['-c', '-q', '-1'], { input: tar, encoding: 'buffer' })).stdout);
    const digest = sha256(compressed) as Digest;
    const diffId = sha256(tar) as Digest;
    const [chain] = chainIds([diffId]);

    const content = new ContentStore(join(work, 'root'));
    const snapshots = await OverlaySnapshotter.open(join(work, 'root/snapshots'));
    const unpacker = new SnapshotLayerUnpacker(snapshots, silentLogger());
    const image = { id: sha256(Buffer.from('image')) as Digest, layers: [{ digest, mediaType: mediaTypes.ociLayerZstd, size: compressed.length }], diffIds: [diffId] };

    mkdirSync(content.blobsDir, { recursive: true });
    const blob = content.blobPath(digest);
    await execa('mkfifo', [blob]);
    const feeder = createWriteStream(blob);
    feeder.on('error', () => undefined);
    feeder.write(compressed.subarray(0, compressed.length / 2));

    const caller = new AbortController();
    const unpack = unpacker.ensureUnpacked(image, content, { signal: caller.signal });
    unpack.catch(() => undefined);
    const [zstd] = await eventually(async () => ((await zstdDecoders()).length > 0 ? zstdDecoders() : undefined), 50);
    expect(zstd).toBeGreaterThan(0);
    expect(snapshots.list().map((s) => s.key)).toEqual([expect.stringMatching(/^extract-/)]);

    caller.abort(new CancelledError('the client cancelled PullImage'));
    await expect(unpack).rejects.toBeInstanceOf(CancelledError);
    await expect(unpack).rejects.toThrow(/the client cancelled PullImage/);
    feeder.destroy();
    await eventually(async () => ((await zstdDecoders()).length === 0 ? true : undefined), 50);
    expect(snapshots.list()).toEqual([]);

    // The whole blob this time, and nobody cancels.
    rmSync(blob);
    writeFileSync(blob, compressed);
    expect(await unpacker.ensureUnpacked(image, content)).toBe(chain);
    expect(snapshots.list().map((s) => [s.key, s.kind])).toEqual([[chain, 'committed']]);
    // The committed layer's tree, seen from a snapshot on top of it.
    await snapshots.prepareLayer('check', chain);
    const [layerDir = ''] = snapshots.layers('check').lowers;
    expect(readFileSync(join(layerDir, 'data/big')).equals(payload)).toBe(true);
  });
});
