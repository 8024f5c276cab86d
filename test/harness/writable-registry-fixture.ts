// A writable registry of a test file's own, for images the test builds and pushes: started with
// the images pushed in beforeAll, stopped with its storage removed in afterAll. Call it before
// berthFixture so the registry is up (and its host known) when berth starts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startRegistry, type Registry } from './registry.js';

export interface WritableRegistryFixture {
  /** Set once beforeAll ran. */
  registry: Registry;
}

export function writableRegistryFixture(push: (registry: Registry) => Promise<void>, timeoutMs = 120_000): WritableRegistryFixture {
  const fixture = {} as WritableRegistryFixture;
  const storage = mkdtempSync(join(tmpdir(), 'berth-own-registry-'));
  beforeAll(async () => {
    fixture.registry = await startRegistry({ storageDir: storage, readOnly: false });
    await push(fixture.registry);
  }, timeoutMs);
  afterAll(async () => {
    await fixture.registry?.stop();
    rmSync(storage, { recursive: true, force: true });
  });
  return fixture;
}
