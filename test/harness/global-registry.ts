// vitest globalSetup of the integration tier: one seeded registry for every test file, reached
// through inject('registryHost'); and, after the last file, the check that the tier as a whole left
// nothing on the machine (test/harness/test-world-leaks.ts), counted as a failure if it did.
import type { TestProject } from 'vitest/node';
import { startRegistry } from './registry.js';
import { reportedTeardown } from './reported-teardown.js';
import { requireRoot } from './root.js';
import { expectNothingLeft, pictureTestWorld } from './test-world-leaks.js';

declare module 'vitest' {
  export interface ProvidedContext {
    registryHost: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  requireRoot('integration');
  const before = await pictureTestWorld();
  const registry = await startRegistry();
  project.provide('registryHost', registry.host);
  return reportedTeardown(async () => {
    await registry.stop();
    await expectNothingLeft('integration', before);
  });
}
