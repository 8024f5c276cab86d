// vitest globalSetup of the integration tier: one seeded registry for every test file, reached
// through inject('registryHost').
import type { TestProject } from 'vitest/node';
import { startRegistry } from './registry.js';
import { reportedTeardown } from './reported-teardown.js';
import { requireRoot } from './root.js';

declare module 'vitest' {
  export interface ProvidedContext {
    registryHost: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  requireRoot('integration');
  const registry = await startRegistry();
  project.provide('registryHost', registry.host);
  return reportedTeardown(() => registry.stop());
}
