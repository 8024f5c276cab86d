// The upstream kubelet (built from the pinned Go module) as a node of the cluster fixture, driving
// containerd: the reference the API create → Running phase compares berth's kubelet against.
// Settings that this machine needs and say nothing about speed: cgroupfs without per-QoS cgroups
// (the process sits in a nested cgroup), cgroup v1 allowed, no swap check, no eviction, and a
// non-loopback node IP (the upstream kubelet refuses 127.0.0.1).
import { spawn } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from '../test/harness/cluster.js';
import { nodeKubeconfig } from '../test/harness/node-credentials.js';
import { freePort } from '../test/harness/ports.js';
import { goTool } from '../test/harness/tools.js';

/** The first non-internal IPv4 address of this machine. */
export function primaryIpv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  throw new Error('no non-loopback IPv4 address: the upstream kubelet refuses a loopback node IP');
}

export async function startUpstreamKubelet(options: { cluster: Cluster; criEndpoint: string; nodeName: string; workDir: string }): Promise<{ stop(): Promise<void> }> {
  const { workDir } = options;
  const config = join(workDir, 'kubelet-config.yaml');
  writeFileSync(
    config,
    [
      'apiVersion: kubelet.config.k8s.io/v1beta1',
      'kind: KubeletConfiguration',
      'cgroupDriver: cgroupfs',
      'cgroupsPerQOS: false',
      'enforceNodeAllocatable: []',
      'failSwapOn: false',
      'failCgroupV1: false',
      'readOnlyPort: 0',
      `port: ${await freePort()}`,
      'healthzPort: 0',
      'evictionHard: {}',
      'imageGCHighThresholdPercent: 100',
      'imageGCLowThresholdPercent: 99',
      'localStorageCapacityIsolation: false',
      'authentication: { anonymous: { enabled: false }, webhook: { enabled: false } }',
      'authorization: { mode: AlwaysAllow }',
      '',
    ].join('\n'),
  );
  const kubeconfig = await nodeKubeconfig(workDir, options.nodeName, options.cluster.server);
  const log = openSync(join(workDir, 'kubelet.log'), 'w');
  const kubelet = spawn(
    goTool('kubelet'),
    [
      '--config',
      config,
      '--kubeconfig',
      kubeconfig,
      '--container-runtime-endpoint',
      `unix://${options.criEndpoint}`,
      '--hostname-override',
      options.nodeName,
      '--node-ip',
      primaryIpv4(),
      '--root-dir',
      join(workDir, 'kubelet-root'),
      '--cert-dir',
      join(workDir, 'kubelet-pki'),
    ],
    { stdio: ['ignore', log, log] },
  );
  return {
    stop: async () => {
      if (kubelet.exitCode !== null) return;
      const exited = new Promise((resolve) => kubelet.once('exit', resolve));
      kubelet.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (kubelet.exitCode === null) kubelet.kill('SIGKILL');
    },
  };
}
