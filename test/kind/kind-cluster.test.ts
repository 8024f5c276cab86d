// The kind world, end to end: the real kind CLI creates a cluster on a private dockerd from the
// node image `npm run tools` built here (setup/kind-world.sh), with no registry on the internet.
// Not in `npm test`'s tiers: `npm run test:kind` (it takes minutes and the whole machine).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/eventually.js';
import { createKindCluster, type KindCluster, startKindWorld, tearDownKindWorld } from '../harness/kind-cluster.js';
import type { TestDockerd } from '../harness/kind-docker.js';
import { seededOciLayout } from '../harness/tools.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const clusterName = 'berth-kind';

describe('a kind cluster from the node image built here', () => {
  let dir: string | undefined;
  let image: string | undefined;
  let dockerd: TestDockerd | undefined;
  let cluster: KindCluster | undefined;

  beforeAll(async () => {
    ({
      dir,
      dockerd,
      images: { kind: image },
    } = await startKindWorld(['kind']));
    const started = Date.now();
    cluster = await createKindCluster({ dockerd, dir, name: clusterName, image: image!, nodes: [{ role: 'control-plane' }, { role: 'worker' }] });
    console.info(`kind test: kind create cluster (control plane + 1 worker) took ${Date.now() - started} ms`);
  });

  afterAll(() => tearDownKindWorld({ cluster, dockerd, dir }));

  it('brings the control plane and the worker to Ready', async () => {
    const ready = await eventually(async () => {
      const out = await cluster!.kubectl('get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}');
      const nodes = out.trim().split('\n');
      return nodes.length === 2 && nodes.every((line) => line.endsWith('=True')) ? nodes : undefined;
    }, 2_000);
    expect(ready.sort()).toEqual([`${clusterName}-control-plane=True`, `${clusterName}-worker=True`]);
  });

  it('runs CoreDNS from the preloaded image', async () => {
    const phases = await eventually(async () => {
      const out = await cluster!.kubectl('-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=kube-dns', '-o', 'jsonpath={range .items[*]}{.status.phase}{"\\n"}{end}');
      const list = out.trim().split('\n').filter(Boolean);
      return list.length > 0 && list.every((phase) => phase === 'Running') ? list : undefined;
    }, 2_000);
    expect(phases.length).toBeGreaterThan(0);
  });

  it('runs a pod on the worker from an image loaded with kind load image-archive', async () => {
    const archive = join(dir!, 'busybox.tar');
    await run('skopeo', ['copy', '-q', `oci:${seededOciLayout()}:busybox`, `docker-archive:${archive}:berth.local/busybox:kind`]);
    await cluster!.kind('load', 'image-archive', archive, '--name', clusterName);
    await cluster!.kubectl(
      'run',
      'hello',
      '--image=berth.local/busybox:kind',
      '--image-pull-policy=IfNotPresent',
      '--restart=Never',
      `--overrides={"spec":{"nodeName":"${clusterName}-worker"}}`,
      '--',
      'sh',
      '-c',
      'echo hello from $(hostname)',
    );
    const phase = await eventually(async () => {
      const value = await cluster!.kubectl('get', 'pod', 'hello', '-o', 'jsonpath={.status.phase}');
      return value === 'Succeeded' || value === 'Failed' ? value : undefined;
    }, 1_000);
    expect(phase).toBe('Succeeded');
    expect((await cluster!.kubectl('logs', 'hello')).trim()).toBe('hello from hello');
  });
});
