// Cold image pull + unpack through the CRI (PullImage returns once the image can run), and the
// floors of its parts measured in this process on the same blobs: HTTP fetch, sha256, gzip
// decompression, and writing the uncompressed bytes to disk with fsync.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { CriClient } from '../cri/client/cri-client.js';
import { elapsedMs } from './stats.js';

export interface PullResult {
  reference: string;
  compressedBytes: number;
  layers: number;
  seconds: number;
  mbPerSecond: number;
}

export interface PullFloors {
  compressedBytes: number;
  uncompressedBytes: number;
  fetchSeconds: number;
  hashSeconds: number;
  decompressSeconds: number;
  writeSeconds: number;
}

interface Manifest {
  layers: { digest: string; size: number; mediaType: string }[];
}

const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';

async function manifestOf(reference: string): Promise<{ manifest: Manifest; base: string }> {
  const slash = reference.indexOf('/');
  const colon = reference.lastIndexOf(':');
  const host = reference.slice(0, slash);
  const repository = reference.slice(slash + 1, colon);
  const base = `http://${host}/v2/${repository}`;
  const response = await fetch(`${base}/manifests/${reference.slice(colon + 1)}`, { headers: { accept: ACCEPT } });
  if (!response.ok) throw new Error(`manifest of ${reference}: HTTP ${response.status}`);
  return { manifest: (await response.json()) as Manifest, base };
}

export async function measurePull(client: CriClient, reference: string): Promise<PullResult> {
  const { manifest } = await manifestOf(reference);
  const compressedBytes = manifest.layers.reduce((a, l) => a + l.size, 0);
  const t0 = process.hrtime.bigint();
  await client.pullImage(reference);
  const seconds = elapsedMs(t0) / 1000;
  return { reference, compressedBytes, layers: manifest.layers.length, seconds, mbPerSecond: compressedBytes / 1e6 / seconds };
}

export async function measurePullFloors(gzipReference: string): Promise<PullFloors> {
  const { manifest, base } = await manifestOf(gzipReference);
  const blobs: Buffer[] = [];
  let t0 = process.hrtime.bigint();
  for (const layer of manifest.layers) {
    const response = await fetch(`${base}/blobs/${layer.digest}`);
    blobs.push(Buffer.from(await response.arrayBuffer()));
  }
  const fetchSeconds = elapsedMs(t0) / 1000;
  t0 = process.hrtime.bigint();
  for (const blob of blobs) createHash('sha256').update(blob).digest('hex');
  const hashSeconds = elapsedMs(t0) / 1000;
  t0 = process.hrtime.bigint();
  const tars = blobs.map((blob) => gunzipSync(blob));
  const decompressSeconds = elapsedMs(t0) / 1000;
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-write-'));
  try {
    t0 = process.hrtime.bigint();
    tars.forEach((tar, i) => {
      const fd = openSync(join(dir, `layer-${i}.tar`), 'w');
      writeSync(fd, tar);
      fsyncSync(fd);
      closeSync(fd);
    });
    const writeSeconds = elapsedMs(t0) / 1000;
    return {
      compressedBytes: blobs.reduce((a, b) => a + b.length, 0),
      uncompressedBytes: tars.reduce((a, b) => a + b.length, 0),
      fetchSeconds,
      hashSeconds,
      decompressSeconds,
      writeSeconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
