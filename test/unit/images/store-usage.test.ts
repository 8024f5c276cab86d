import { mkdirSync, mkdtempSync, rmSync, writeFileSync, linkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreUsage } from '../../../runtime/images/store-usage.js';
import { mountPointOf } from '../../../common/linux/mounts.js';

const work = mkdtempSync(join(tmpdir(), 'berth-store-usage-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('StoreUsage', () => {
  it('counts the store dirs (absent ones as nothing, a hardlink once) and serves the last walk until it is stale', async () => {
    const content = join(work, 'content');
    mkdirSync(content);
    writeFileSync(join(content, 'blob'), Buffer.alloc(64 * 1024, 1));
    linkSync(join(content, 'blob'), join(content, 'link'));
    let now = 0;
    const usage = new StoreUsage({ dirs: [content, join(work, 'absent')], ttlMs: 1_000, now: () => now });
    const first = await usage.usage();
    expect(first.inodes).toBe(2);
    expect(first.bytes).toBeGreaterThanOrEqual(64 * 1024);
    expect(first.bytes).toBeLessThan(64 * 1024 + 16 * 1024);

    writeFileSync(join(content, 'blob2'), Buffer.alloc(128 * 1024, 1));
    expect(await usage.usage()).toEqual(first);
    now = 1_000;
    // Stale: this call still gets the last walk and starts the next one.
    expect(await usage.usage()).toEqual(first);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await usage.usage()).bytes).toBeGreaterThanOrEqual(first.bytes + 128 * 1024);
  });
});

describe('mountPointOf', () => {
  const points = ['/', '/var', '/var/lib/berth', '/var/lib/berthx', '/run'];
  it.each([
    ['/var/lib/berth', '/var/lib/berth'],
    ['/var/lib/berth/root', '/var/lib/berth'],
    ['/var/lib/berthy', '/var'],
    ['/home/x', '/'],
  ])('%s is on %s', (path, expected) => {
    expect(mountPointOf(path, points)).toBe(expected);
  });
});
