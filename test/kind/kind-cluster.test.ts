// The kind world, end to end: the real kind CLI creates a cluster on a private dockerd from the
// node image `npm run tools` built here (setup/kind-world.sh), with no registry on the internet.
// Not in `npm test`'s tiers: `npm run test:kind` (it takes minutes and the whole machine).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/eventually.js';
import { createKindCluster, type KindCluster, importNodeImage, kindTool } from '../harness/kind-cluster.js';
import { startTestDockerd, type TestDockerd } from '../harness/kind-docker.js';
import { requireRoot } from '../harness/root.js';
import { seededOciLayout } from '../harness/tools.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const clusterName = 'berth-kind';

describe('a kind cluster from the node image built here', () => {
  let dir: string;
  let dockerd: TestDockerd | undefined;
  let cluster: KindCluster | undefined;

  beforeAll(async () => {
    requireRoot('kind');
    kindTool('kind');
    dir = mkdtempSync('/tmp/berth-kind-test-');
    // Durations are logged for the report (bench/ owns speed); nothing asserts on them.
    let started = Date.now();
    dockerd = await startTestDockerd({ bridgeSubnet: '172.30.0.0/16' });
    const image = await importNodeImage(dockerd);
    console.info(`kind test: dockerd up and node image imported in ${Date.now() - started} ms`);
    started = Date.now();
    cluster = await createKindCluster({ dockerd, dir, name: clusterName, image, workers: 1 });
    console.info(`kind test: kind create cluster (control plane + 1 worker) took ${Date.now() - started} ms`);
  });

  afterAll(async () => {
    const problems: unknown[] = [];
    await cluster?.delete().catch((error: unknown) => problems.push(error));
    await dockerd?.stop().catch((error: unknown) => problems.push(error));
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (problems.length > 0) throw new AggregateError(problems, 'kind teardown failed');
  });

  it('brings the control plane and the worker to Ready', async () => {
    const ready = await eventually(async () => {
      const out = await cluster!.kubectl('get', 'nodes', '-o',
        'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}');
      const nodes = out.trim().split('\n');
      return nodes.length === 2 && nodes.every((line) => line.endsWith('=True')) ? nodes : undefined;
    }, 2_000);
    expect(ready.sort()).toEqual([`${clusterName}-control-plane=True`, `${clusterName}-worker=True`]);
  });

  it('runs CoreDNS from the preloaded image', async () => {
    const phases = await eventually(async () => {
      const out = await cluster!.kubectl('-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=kube-dns', '-o',
        'jsonpath={range .items[*]}{.status.phase}{"\\n"}{end}');
      const list = out.trim().split('\n').filter(Boolean);
      return list.length > 0 && list.every((phase) => phase === 'Running') ? list : undefined;
    }, 2_000);
    expect(phases.length).toBeGreaterThan(0);
  });

  it('runs a pod on the worker from an image loaded with kind load image-archive', async () => {
    const archive = join(dir, 'busybox.tar');
    await run('skopeo', ['copy', '-q', `oci:${seededOciLayout()}:busybox`, `docker-archive:${archive}:berth.local/busybox:kind`]);
    await cluster!.kind('load', 'image-archive', archive, '--name', clusterName);
    await cluster!.kubectl('run', 'hello', '--image=berth.local/busybox:kind', '--image-pull-policy=IfNotPresent',
      '--restart=Never', `--overrides={"spec":{"nodeName":"${clusterName}-worker"}}`, '--', 'sh', '-c', 'echo hello from $(hostname)');
    const phase = await eventually(async () => {
      const value = await cluster!.kubectl('get', 'pod', 'hello', '-o', 'jsonpath={.status.phase}');
      return value === 'Succeeded' || value === 'Failed' ? value : undefined;
    }, 1_000);
    expect(phase).toBe('Succeeded');
    expect((await cluster!.kubectl('logs', 'hello')).trim()).toBe('hello from hello');
  });
});
