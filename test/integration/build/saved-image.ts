// Reads an image as berth save writes it (its OCI layout half): the config and every layer, each
// layer's blob checked against its digest and its diff id, and its tar entries listed with their
// kinds, modes, owners, link targets and contents, so tests compare layers byte for byte.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';

export interface LayerEntry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
  content?: string;
}

export interface SavedImage {
  config: {
    config?: Record<string, unknown>;
    rootfs: { diff_ids: string[] };
    history?: { created_by?: string; empty_layer?: boolean }[];
    author?: string;
  };
  layers: LayerEntry[][];
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function entries(tar: Buffer): Promise<LayerEntry[]> {
  const found: LayerEntry[] = [];
  const extractor = extract();
  Readable.from([tar]).pipe(extractor);
  for await (const entry of extractor) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    const { header } = entry;
    found.push({
      name: header.name,
      type: header.type ?? 'file',
      mode: (header.mode ?? 0) & 0o7777,
      uid: header.uid ?? 0,
      gid: header.gid ?? 0,
      ...(header.linkname ? { linkname: header.linkname } : {}),
      ...(header.type === 'file' ? { content: Buffer.concat(chunks).toString('utf8') } : {}),
    });
  }
  return found;
}

/** `archive` (a berth save tar of one image) read back; throws when a digest does not match. */
export async function readSavedImage(archive: string, scratch: string): Promise<SavedImage> {
  const dir = await mkdtemp(join(scratch, 'saved-'));
  execFileSync('tar', ['-xf', archive, '-C', dir]);
  const blob = async (digest: string) => {
    const bytes = await readFile(join(dir, 'blobs/sha256', digest.replace(/^sha256:/, '')));
    if (sha256(bytes) !== digest) throw new Error(`blob ${digest} does not match its digest`);
    return bytes;
  };
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const manifest = JSON.parse((await blob(index.manifests[0]?.digest ?? '')).toString('utf8')) as { config: { digest: string }; layers: { digest: string; mediaType: string }[] };
  const config = JSON.parse((await blob(manifest.config.digest)).toString('utf8')) as SavedImage['config'];
  const layers: LayerEntry[][] = [];
  for (const [index_, layer] of manifest.layers.entries()) {
    if (!layer.mediaType.endsWith('gzip')) throw new Error(`layer ${layer.digest} is not gzip: ${layer.mediaType}`);
    const tar = gunzipSync(await blob(layer.digest));
    if (sha256(tar) !== config.rootfs.diff_ids[index_]) throw new Error(`layer ${layer.digest}'s diff id does not match the config's`);
    layers.push(await entries(tar));
  }
  return { config, layers };
}
