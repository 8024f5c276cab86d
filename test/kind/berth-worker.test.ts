// A kind worker whose containerd is replaced by berth: the node image `npm run tools` builds with
// berth's runtime units (setup/kind-world.sh, flavor "berth"), this checkout's berth mounted at
// /opt/berth, joined by kind through real `kubeadm join` with criSocket on berth's socket; the
// upstream kubelet there runs the cluster's DaemonSets and a pod on berth.
// Not in `npm test`'s tiers: `npm run test:kind`.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/eventually.js';
import { berthCheckoutMounts } from '../harness/kind-berth-node.js';
import { type KindCluster, startKindCluster, tearDownKindWorld } from '../harness/kind-cluster.js';
import type { TestDockerd } from '../harness/kind-docker.js';
import { seededOciLayout } from '../harness/tools.js';

const run = promisify(execFile);
const clusterName = 'berth-kind';
const berthNode = `${clusterName}-worker`;

describe('a kind worker with berth as its runtime', () => {
  let dir: string | undefined;
  let dockerd: TestDockerd | undefined;
  let cluster: KindCluster | undefined;

  const onBerth = async (selector: string[]): Promise<string[]> => {
    const out = await cluster!.kubectl(
      'get',
      'pods',
      '-A',
      ...selector,
      '--field-selector',
      `spec.nodeName=${berthNode}`,
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.phase}{"\\n"}{end}',
    );
    return out.trim().split('\n').filter(Boolean);
  };

  beforeAll(async () => {
    ({ dir, dockerd, cluster } = await startKindCluster({
      flavors: ['kind', 'berth'],
      name: clusterName,
      nodes: (images) => [
        { role: 'control-plane' },
        {
          role: 'worker',
          image: images.berth!,
          mounts: berthCheckoutMounts(),
          kubeadmPatches: ['kind: JoinConfiguration\nnodeRegistration:\n  criSocket: unix:///run/berth/berth.sock\ntimeouts:\n  kubeletHealthCheck: 2m\n'],
        },
      ],
    }));
  });

  afterAll(() => tearDownKindWorld({ cluster, dockerd, dir }));

  it('registers the berth worker Ready with berth as its container runtime', async () => {
    const runtime = await eventually(async () => {
      const out = await cluster!.kubectl('get', 'node', berthNode, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.nodeInfo.containerRuntimeVersion}');
      const [ready, version] = out.split(' ');
      return ready === 'True' ? version : undefined;
    }, 2_000);
    expect(runtime).toMatch(/^berth:\/\//);
  });

  it("runs the cluster's kube-proxy and CNI agent on berth", async () => {
    const pods = await eventually(async () => {
      const list = await onBerth(['-n', 'kube-system']);
      const wanted = list.filter((line) => /^(kube-proxy|berth-kind-bridge)-/.test(line));
      return wanted.length === 2 && wanted.every((line) => line.endsWith('=Running')) ? wanted : undefined;
    }, 2_000);
    expect(pods).toHaveLength(2);
  });

  it('runs a pod on berth whose logs and exec go through the API server', async () => {
    const archive = join(dir!, 'busybox.tar');
    await run('skopeo', ['copy', '-q', `oci:${seededOciLayout()}:busybox`, `docker-archive:${archive}:berth.local/busybox:kind`]);
    // Not /tmp: kind mounts a tmpfs there, over what docker cp writes into the container's layer.
    await dockerd!.docker(['cp', archive, `${berthNode}:/kind/busybox.tar`]);
    await dockerd!.docker(['exec', berthNode, '/usr/local/bin/node', '/opt/berth/bin/berth.js', 'load', '--quiet', '--input', '/kind/busybox.tar']);
    await cluster!.kubectl(
      'run',
      'hello',
      '--image=berth.local/busybox:kind',
      '--image-pull-policy=Never',
      `--overrides={"spec":{"nodeName":"${berthNode}"}}`,
      '--',
      'sh',
      '-c',
      'echo hello from $(hostname); exec sleep 3600',
    );
    await eventually(async () => ((await cluster!.kubectl('get', 'pod', 'hello', '-o', 'jsonpath={.status.phase}')) === 'Running' ? true : undefined), 1_000);
    expect((await cluster!.kubectl('logs', 'hello')).trim()).toBe('hello from hello');
    expect((await cluster!.kubectl('exec', 'hello', '--', 'cat', '/etc/berth-image')).trim()).toBe("hello from berth's busybox image");
  });
});
