// The suite's images (setup/e2e-images.sh: an OCI layout and images.json) pushed into a writable
// registry of a run's own, under the repository paths e2e.test names them by.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type Registry } from '../../harness/registry.js';
import { toolsDir } from '../../harness/tools.js';

interface SuiteImage {
  layoutTag: string;
  /** Repository path and tag, e.g. "e2e-test-images/agnhost:2.66.1". */
  ref: string;
}

/** `address`: where the registry listens (default loopback), as startRegistry's. */
export async function startSuiteRegistry(address?: string): Promise<Registry> {
  const dir = join(toolsDir(), 'e2e-images');
  let images: SuiteImage[];
  try {
    images = (JSON.parse(readFileSync(join(dir, 'images.json'), 'utf8')) as { images: SuiteImage[] }).images;
  } catch {
    throw new Error(`${dir}/images.json is missing: run "bash setup/e2e-images.sh"`);
  }
  const storage = mkdtempSync(join(tmpdir(), 'berth-e2e-registry-'));
  const registry = await startRegistry({ storageDir: storage, readOnly: false, ...(address ? { address } : {}) });
  try {
    for (const image of images) {
      await execa('skopeo', ['copy', '-q', '--dest-tls-verify=false', '--preserve-digests', `oci:${join(dir, 'oci')}:${image.layoutTag}`, `docker://${registry.host}/${image.ref}`], {
        timeout: 120_000,
      });
    }
  } catch (error) {
    await registry.stop();
    rmSync(storage, { recursive: true, force: true });
    throw error;
  }
  return {
    ...registry,
    stop: async () => {
      await registry.stop();
      rmSync(storage, { recursive: true, force: true });
    },
  };
}
