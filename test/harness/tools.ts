// Where the test world lives: the tools directory that `npm run tools` filled (setup/*.sh).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readPinnedVersions } from '../../common/pinned-versions.js';

export function toolsDir(): string {
  return process.env['BERTH_TOOLS_DIR'] ?? join(homedir(), '.cache/berth/tools');
}

/** Absolute path of a tool built from Go modules; fails with the command that builds it. */
export function goTool(name: string): string {
  const path = join(toolsDir(), 'bin', name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run tools"`);
  return path;
}

export const pinned = readPinnedVersions();

export interface SeededImage {
  /** Repository path and tag in the seeded registry, e.g. "e2e-test-images/busybox:1.29-2". */
  ref: string;
  /** Digest of the manifest or index the tag points at. */
  digest: string;
  /** Tag of the same image in the OCI layout the registry was seeded from. */
  layoutTag: string;
}

export function seededRegistryDir(): string {
  const dir = join(toolsDir(), 'registry/current');
  if (!existsSync(join(dir, 'images.json'))) throw new Error(`${dir} is not seeded: run "npm run tools"`);
  return dir;
}

export function seededImages(): SeededImage[] {
  return (JSON.parse(readFileSync(join(seededRegistryDir(), 'images.json'), 'utf8')) as { images: SeededImage[] }).images;
}

/** The OCI image layout the registry was seeded from (umoci's output). */
export function seededOciLayout(): string {
  return join(seededRegistryDir(), 'oci');
}

export function clusterPkiDir(): string {
  const dir = join(toolsDir(), 'cluster-pki/current');
  if (!existsSync(join(dir, 'done'))) throw new Error(`${dir} is missing: run "npm run tools"`);
  return dir;
}
