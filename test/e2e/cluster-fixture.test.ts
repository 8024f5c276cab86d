// The cluster fixture every e2e test shares (started by harness/global-cluster.ts) is a working
// control plane, reached with the real kubectl.
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { goTool } from '../harness/tools.js';

const kubeconfig = inject('adminKubeconfig');

async function kubectl(...args: string[]): Promise<string> {
  return (await execa(goTool('kubectl'), ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 })).stdout;
}

describe('cluster fixture', () => {
  it('answers /readyz with ok', async () => {
    expect(await kubectl('get', '--raw', '/readyz')).toBe('ok');
  });

  it('runs the pinned Kubernetes version', async () => {
    const version = JSON.parse(await kubectl('version', '-o', 'json')) as { serverVersion: { gitVersion: string } };
    expect(version.serverVersion.gitVersion).toBe(inject('kubernetesVersion'));
  });

  it('has a working controller-manager: the default service account appears in a new namespace', async () => {
    const namespace = `berth-fixture-${process.pid}`;
    await kubectl('create', 'namespace', namespace);
    try {
      let accounts = '';
      for (let attempt = 0; attempt < 100 && !accounts.includes('default'); attempt++) {
        accounts = await kubectl('get', 'serviceaccounts', '-n', namespace, '-o', 'name');
        if (!accounts.includes('default')) await new Promise((r) => setTimeout(r, 200));
      }
      expect(accounts).toContain('serviceaccount/default');
    } finally {
      await kubectl('delete', 'namespace', namespace, '--wait=false');
    }
  });

  it('has a working scheduler: it reports an unschedulable pod', async () => {
    // The scheduler holds no node here, so pods stay Pending; what proves it is alive is its
    // watch on pods: a pod with an unsatisfiable nodeSelector gets a FailedScheduling event.
    const pod = `berth-fixture-unschedulable-${process.pid}`;
    await kubectl('run', pod, '--image=registry.k8s.io/pause:3.9', '--restart=Never', '--overrides={"spec":{"nodeSelector":{"berth.dev/none":"x"}}}');
    try {
      let reason = '';
      for (let attempt = 0; attempt < 100 && !reason; attempt++) {
        reason = await kubectl('get', 'events', '--field-selector', `involvedObject.name=${pod},reason=FailedScheduling`, '-o', 'jsonpath={.items[0].reason}');
        if (!reason) await new Promise((r) => setTimeout(r, 200));
      }
      expect(reason).toBe('FailedScheduling');
    } finally {
      await kubectl('delete', 'pod', pod, '--wait=false');
    }
  });
});
