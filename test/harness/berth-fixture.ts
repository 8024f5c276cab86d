// A berth of its own for one test file: a CNI test network, the seeded registry allowed, a work
// directory for crictl's JSON configs, all set up in beforeAll and taken down in afterAll
// (pods force-removed first, so nothing they pinned outlives the file).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { startBerth, type Berth } from './berth.js';
import { removeTestCgroupParents } from './cgroups.js';
import { cniTestNetwork, type CniTestNetwork } from './cni-network.js';

export interface BerthFixture {
  /** Set once beforeAll ran. */
  berth: Berth;
  network: CniTestNetwork;
  work: string;
  registry: string;
  /** Writes `value` as JSON into the work directory; returns its path (for crictl). */
  writeJson(name: string, value: unknown): string;
}

/**
 * Registers the hooks; `name` and `octet` pick the CNI network (10.244.<octet>.0/24). `moreArgs`
 * is called when berth starts, after the hooks registered before this call (e.g. a registry's own).
 */
export function berthFixture(name: string, octet: number, setUp?: (fixture: BerthFixture) => Promise<void>, moreArgs: () => string[] = () => []): BerthFixture {
  const registry = inject('registryHost');
  const work = mkdtempSync(join(tmpdir(), `berth-${name}-`));
  const fixture = {
    registry,
    work,
    writeJson: (file: string, value: unknown): string => {
      const path = join(work, file);
      writeFileSync(path, JSON.stringify(value));
      return path;
    },
  } as BerthFixture;
  beforeAll(async () => {
    fixture.network = cniTestNetwork(name, octet);
    fixture.berth = await startBerth({ args: ['--insecure-registry', registry, '--cni-conf-dir', fixture.network.confDir, ...moreArgs()] });
    await setUp?.(fixture);
  });
  afterAll(async () => {
    await fixture.berth?.crictlResult('rmp', '--force', '--all');
    await fixture.berth?.stop();
    await fixture.network?.remove();
    removeTestCgroupParents('berth');
    rmSync(work, { recursive: true, force: true });
  });
  return fixture;
}
