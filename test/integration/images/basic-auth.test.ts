// Basic auth against a real docker-registry with htpasswd auth (bcrypt entries from the real
// htpasswd of apache2-utils), serving the seeded storage read-only.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermissionDeniedError } from '../../../common/errors.js';
import { startHtpasswdRegistry, type HtpasswdRegistry } from '../../harness/htpasswd-registry.js';
import { seededRegistryDir } from '../../harness/tools.js';
import { imageWorld } from './helpers.js';

let registry: HtpasswdRegistry | undefined;
let host: string;

beforeAll(async () => {
  registry = await startHtpasswdRegistry({ username: 'puller', password: 's3cret', storageDir: join(seededRegistryDir(), 'storage'), readOnly: true });
  host = registry.host;
});
afterAll(async () => {
  await registry?.stop();
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
