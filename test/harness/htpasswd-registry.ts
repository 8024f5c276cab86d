// A real docker-registry that wants a username and password (htpasswd auth, bcrypt entries from
// the real htpasswd of apache2-utils) on a loopback port: read-only over given storage (the
// seeded images) or writable over an empty folder, for push and login tests.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from './daemon.js';
import { freePort } from './ports.js';

export interface HtpasswdRegistry {
  /** host:port */
  host: string;
  stop(): Promise<void>;
}

export async function startHtpasswdRegistry(options: { username: string; password: string; storageDir?: string; readOnly: boolean }): Promise<HtpasswdRegistry> {
  const work = await mkdtemp(join(tmpdir(), 'berth-registry-auth-'));
  await writeFile(join(work, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', options.username, options.password], { encoding: 'utf8' }));
  const host = `127.0.0.1:${await freePort()}`;
  await writeFile(
    join(work, 'registry.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${options.storageDir ?? join(work, 'storage')}`,
      '  maintenance:',
      '    uploadpurging:',
      '      enabled: false',
      '    readonly:',
      `      enabled: ${options.readOnly}`,
      'auth:',
      '  htpasswd:',
      '    realm: berth-test',
      `    path: ${join(work, 'htpasswd')}`,
      'http:',
      `  addr: ${host}`,
      '',
    ].join('\n'),
  );
  const daemon = await startDaemon({
    name: 'docker-registry (htpasswd)',
    command: 'docker-registry',
    args: ['serve', join(work, 'registry.yml')],
    logPath: join(work, 'registry.log'),
    ready: async () => (await fetch(`http://${host}/v2/`)).status === 401,
  });
  return {
    host,
    stop: async () => {
      await daemon.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
}
