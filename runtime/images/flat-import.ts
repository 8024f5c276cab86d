// `docker import`: a flat root filesystem tarball (plain or gzip) becomes a one-layer image. The
// layer is stored gzip-compressed (what registries and containerd expect), its diff_id is the
// sha256 of the tar itself; the config carries this host's platform, the `-c` changes and one
// history entry ("Imported from <source>" or the -m message), as docker writes it.
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { InvalidArgumentError } from '../../common/errors.js';
import { hashDigest, sha256Hasher, type Digest } from './digest.js';
import type { ImageConfig, ImageRunConfig } from './oci-types.js';
import { hostPlatform } from './platform.js';

export interface FlatImportOptions {
  changes: readonly string[];
  /** The history comment; default "Imported from <source>". */
  message?: string;
  /** Where the tarball came from ("-" for stdin). */
  source: string;
  now: Date;
}

/** The layer blob written to `blobPath`: gzip of the tarball's tar. */
export interface FlatLayer {
  digest: Digest;
  size: number;
  diffId: Digest;
}

/** Gzips the tarball at `tarPath` (gunzipped first when it is gzip) into `blobPath`. */
export async function flatLayer(tarPath: string, blobPath: string): Promise<FlatLayer> {
  const handle = await open(tarPath, 'r');
  const magic = Buffer.alloc(2);
  await handle.read(magic, 0, 2, 0).finally(() => handle.close());
  const tarHash = sha256Hasher();
  const blobHash = sha256Hasher();
  let size = 0;
  const tap = (update: (chunk: Buffer) => void): Transform =>
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        update(chunk);
        done(null, chunk);
      },
    });
  const tarTap = tap((chunk) => tarHash.update(chunk));
  const blobTap = tap((chunk) => {
    blobHash.update(chunk);
    size += chunk.length;
  });
  if (magic[0] === 0x1f && magic[1] === 0x8b) {
    await pipeline(createReadStream(tarPath), createGunzip(), tarTap, createGzip(), blobTap, createWriteStream(blobPath));
  } else {
    await pipeline(createReadStream(tarPath), tarTap, createGzip(), blobTap, createWriteStream(blobPath));
  }
  return { digest: hashDigest(blobHash), size, diffId: hashDigest(tarHash) };
}

/** Pure: the config of an imported image. */
export function flatImageConfig(diffId: Digest, options: FlatImportOptions): ImageConfig {
  const created = options.now.toISOString();
  const { os, architecture, variant } = hostPlatform();
  return {
    created,
    architecture,
    os,
    ...(variant !== undefined && { variant }),
    config: applyChanges({}, options.changes),
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, created_by: '', comment: options.message || `Imported from ${options.source}` }],
  };
}

const changeInstructions = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'USER', 'VOLUME', 'WORKDIR', 'STOPSIGNAL'] as const;

/**
 * Pure: `docker import -c` / `docker commit -c` Dockerfile instructions applied to a run config.
 * CMD and ENTRYPOINT take the JSON (exec) form or a shell form run by /bin/sh -c.
 */
export function applyChanges(base: ImageRunConfig, changes: readonly string[]): ImageRunConfig {
  const config: ImageRunConfig = structuredClone(base);
  for (const change of changes) {
    const match = /^\s*(\w+)\s+([\s\S]*?)\s*$/.exec(change);
    const instruction = match?.[1]?.toUpperCase();
    const value = match?.[2] ?? '';
    if (!instruction || value === '' || !(changeInstructions as readonly string[]).includes(instruction)) {
      throw new InvalidArgumentError(`change ${JSON.stringify(change)}: expected one of ${changeInstructions.join(', ')} followed by its value`);
    }
    switch (instruction) {
      case 'CMD':
        config.Cmd = commandOf(value, change);
        break;
      case 'ENTRYPOINT':
        config.Entrypoint = commandOf(value, change);
        break;
      case 'ENV':
        for (const [key, val] of keyValues(value, change)) config.Env = [...(config.Env ?? []).filter((e) => !e.startsWith(`${key}=`)), `${key}=${val}`];
        break;
      case 'LABEL':
        for (const [key, val] of keyValues(value, change)) config.Labels = { ...config.Labels, [key]: val };
        break;
      case 'EXPOSE':
        for (const port of value.split(/\s+/)) {
          if (!/^\d{1,5}(\/(tcp|udp|sctp))?$/.test(port)) throw new InvalidArgumentError(`change ${JSON.stringify(change)}: ${JSON.stringify(port)} is not PORT[/PROTOCOL]`);
          config.ExposedPorts = { ...config.ExposedPorts, [port.includes('/') ? port : `${port}/tcp`]: {} };
        }
        break;
      case 'VOLUME':
        for (const path of value.startsWith('[') ? jsonStrings(value, change) : value.split(/\s+/)) config.Volumes = { ...config.Volumes, [path]: {} };
        break;
      case 'USER':
        config.User = value;
        break;
      case 'WORKDIR':
        config.WorkingDir = value;
        break;
      case 'STOPSIGNAL':
        config.StopSignal = value;
        break;
    }
  }
  return config;
}

function commandOf(value: string, change: string): string[] {
  return value.startsWith('[') ? jsonStrings(value, change) : ['/bin/sh', '-c', value];
}

function jsonStrings(value: string, change: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`change ${JSON.stringify(change)}: the exec form must be a JSON array of strings`);
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new InvalidArgumentError(`change ${JSON.stringify(change)}: the exec form must be a JSON array of strings`);
  }
  return parsed;
}

/** `K=V K2="v 2"` pairs, or the legacy `K V` form (one pair, the rest of the line its value). */
function keyValues(value: string, change: string): [string, string][] {
  if (!/^[^\s=]+=/.test(value)) {
    const space = value.search(/\s/);
    if (space === -1) throw new InvalidArgumentError(`change ${JSON.stringify(change)}: expected KEY=VALUE`);
    return [[value.slice(0, space), value.slice(space).trim()]];
  }
  const pairs: [string, string][] = [];
  for (const token of value.match(/[^\s=]+=(?:"(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g) ?? []) {
    const at = token.indexOf('=');
    const raw = token.slice(at + 1);
    const unquoted = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw.startsWith("'") ? raw.slice(1, -1) : raw;
    pairs.push([token.slice(0, at), unquoted]);
  }
  return pairs;
}
