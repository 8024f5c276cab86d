// vitest globalSetup of the e2e tier: one cluster fixture for every test file, reached through
// inject('adminKubeconfig') and inject('apiServer'), with metrics-server registered for kubectl top
// (inject('metricsServer'): its address, or "" on a host with no non-loopback address for it); and,
// after the last file, the check that the tier left nothing on the machine (test-world-leaks.ts).
import type { TestProject } from 'vitest/node';
import { startCluster } from './cluster.js';
import { startMetricsServer } from './metrics-server.js';
import { reportedTeardown } from './reported-teardown.js';
import { requireRoot } from './root.js';
import { expectNothingLeft, pictureTestWorld } from './test-world-leaks.js';
import { pinned } from './tools.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminKubeconfig: string;
    apiServer: string;
    kubernetesVersion: string;
    metricsServer: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  requireRoot('e2e');
  const before = await pictureTestWorld();
  const cluster = await startCluster();
  project.provide('adminKubeconfig', cluster.adminKubeconfig);
  project.provide('apiServer', cluster.server);
  project.provide('kubernetesVersion', pinned['KUBERNETES_VERSION'] ?? '');
  const metricsServer = await startMetricsServer(cluster).catch(async (error: unknown) => {
    await cluster.stop();
    throw error;
  });
  project.provide('metricsServer', metricsServer?.address ?? '');
  return reportedTeardown(async () => {
    await metricsServer?.stop();
    await cluster.stop();
    await expectNothingLeft('e2e', before);
  });
}
