// A real OCI distribution registry (Debian's docker-registry) on a loopback port, serving the
// images setup/images.sh seeded. Read-only by default so no test can alter the seeded images;
// a test that pushes starts its own writable registry on an empty directory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../common/package-root.js';
import { startDaemon, type Daemon } from './daemon.js';
import { freePort } from './ports.js';
import { seededRegistryDir } from './tools.js';

export interface Registry {
  /** host:port, e.g. "127.0.0.1:41234" */
  host: string;
  url: string;
  stop(): Promise<void>;
}

/** `address`: where it listens (default 127.0.0.1); a kind world's nodes reach it on their network's gateway. */
export async function startRegistry(options: { storageDir?: string; readOnly?: boolean; address?: string } = {}): Promise<Registry> {
  const storageDir = options.storageDir ?? join(seededRegistryDir(), 'storage');
  const readOnly = options.readOnly ?? options.storageDir === undefined;
  const work = mkdtempSync(join(tmpdir(), 'berth-registry-'));
  const port = await freePort();
  const host = `${options.address ?? '127.0.0.1'}:${port}`;
  const configPath = join(work, 'registry.yml');
  // One configuration for seeding and serving: setup/registry-config.sh writes it.
  execFileSync('bash', ['-c', 'source "$0"; write_registry_config "$@"', join(packageRoot(), 'setup/registry-config.sh'), configPath, storageDir, host, String(readOnly)]);
  const url = `http://${host}`;
  const daemon: Daemon = await startDaemon({
    name: 'docker-registry',
    command: 'docker-registry',
    args: ['serve', configPath],
    logPath: join(work, 'registry.log'),
    ready: async () => (await fetch(`${url}/v2/`)).ok,
  });
  return {
    host,
    url,
    stop: async () => {
      await daemon.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
