// Basic auth against a real docker-registry with htpasswd auth (bcrypt entries from the real
// htpasswd of apache2-utils), serving the seeded storage read-only.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermissionDeniedError } from '../../../common/errors.js';
import { startDaemon, type Daemon } from '../../harness/daemon.js';
import { freePort } from '../../harness/ports.js';
import { seededRegistryDir } from '../../harness/tools.js';
import { imageWorld } from './helpers.js';

let work: string;
let daemon: Daemon | undefined;
let host: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-registry-auth-'));
  const htpasswd = execFileSync('htpasswd', ['-Bbn', 'puller', 's3cret'], { encoding: 'utf8' });
  await writeFile(join(work, 'htpasswd'), htpasswd);
  host = `127.0.0.1:${await freePort()}`;
  await writeFile(
    join(work, 'registry.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(seededRegistryDir(), 'storage')}`,
      '  maintenance:',
      '    uploadpurging:',
      '      enabled: false',
      '    readonly:',
      '      enabled: true',
      'auth:',
      '  htpasswd:',
      '    realm: berth-test',
      `    path: ${join(work, 'htpasswd')}`,
      'http:',
      `  addr: ${host}`,
      '',
    ].join('\n'),
  );
  daemon = await startDaemon({
    name: 'docker-registry (htpasswd)',
    command: 'docker-registry',
    args: ['serve', join(work, 'registry.yml')],
    logPath: join(work, 'registry.log'),
    ready: async () => (await fetch(`http://${host}/v2/`)).status === 401,
  });
});
afterAll(async () => {
  await daemon?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('basic auth against a real docker-registry', () => {
  it('pulls with a username and password', async () => {
    const world = await imageWorld(host);
    try {
      const record = await world.puller.pull(`${host}/busybox:latest`, { auth: { username: 'puller', password: 's3cret' } });
      expect(record.repoTags).toEqual([`${host}/busybox:latest`]);
    } finally {
      await world.cleanup();
    }
  });

  it('pulls with base64 "user:password" auth as CRI AuthConfig.auth carries it', async () => {
    const world = await imageWorld(host);
    try {
      const auth = Buffer.from('puller:s3cret').toString('base64');
      expect((await world.puller.pull(`${host}/busybox:latest`, { auth: { auth } })).layers.length).toBeGreaterThan(0);
    } finally {
      await world.cleanup();
    }
  });

  it.each([
    ['no credentials', undefined],
    ['a wrong password', { username: 'puller', password: 'wrong' }],
  ])('refuses a pull with %s as PermissionDenied', async (_name, auth) => {
    const world = await imageWorld(host);
    try {
      await expect(world.puller.pull(`${host}/busybox:latest`, auth ? { auth } : {})).rejects.toThrow(PermissionDeniedError);
      expect(world.images.list()).toEqual([]);
    } finally {
      await world.cleanup();
    }
  });
});
