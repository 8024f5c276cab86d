// vitest globalSetup of the e2e tier: one cluster fixture for every test file, reached through
// inject('adminKubeconfig') and inject('apiServer').
import type { TestProject } from 'vitest/node';
import { startCluster } from './cluster.js';
import { requireRoot } from './root.js';
import { pinned } from './tools.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminKubeconfig: string;
    apiServer: string;
    kubernetesVersion: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  requireRoot('e2e');
  const cluster = await startCluster();
  project.provide('adminKubeconfig', cluster.adminKubeconfig);
  project.provide('apiServer', cluster.server);
  project.provide('kubernetesVersion', pinned['KUBERNETES_VERSION'] ?? '');
  return () => cluster.stop();
}
