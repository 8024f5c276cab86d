// The three kinds of node the upstream e2e suite judges, each joined to a cluster fixture
// (test/harness/cluster.ts) as one worker:
//   berth            berth's kubelet on berth's runtime (both in this process, as `berth node` runs them)
//   upstream-berth   the pinned upstream kubelet on `berth runtime` (the CRI judged under the real kubelet)
//   containerd       the pinned upstream kubelet on Debian's containerd: the reference
// Every node pulls from the registry the suite's images are served by, and gets a CNI bridge
// network of its own.
import { execa } from 'execa';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { pino } from 'pino';
import { join } from 'node:path';
import { ownMemoryCgroup, removeCgroupPath } from '../../../bench/cgroups.js';
import { packageRoot } from '../../../common/package-root.js';
import { CriClient } from '../../../cri/client/cri-client.js';
import { defaultDevicePluginDir } from '../../../kubelet/devices/plugin-api.js';
import { kubeletConfig } from '../../../kubelet/config.js';
import { startKubelet } from '../../../kubelet/kubelet.js';
import { startBerth } from '../../harness/berth.js';
import type { Cluster } from '../../harness/cluster.js';
import { cniTestNetwork } from '../../harness/cni-network.js';
import { startContainerd } from '../../harness/containerd.js';
import { hostAddress } from '../../harness/metrics-server.js';
import { nodeKubeconfig } from '../../harness/node-credentials.js';
import { freePort } from '../../harness/ports.js';
import { clusterPkiDir, goTool } from '../../harness/tools.js';
import { kubeletKernelTunables, privateMountNamespace, startUpstreamKubelet } from '../../harness/upstream-kubelet.js';
import { berthRuntime } from '../../integration/kubelet/suite-runtimes.js';

export const nodeKinds = ['berth', 'upstream-berth', 'containerd'] as const;
export type NodeKind = (typeof nodeKinds)[number];

export const nodeKindTitles: Record<NodeKind, string> = {
  berth: 'berth kubelet + berth runtime',
  'upstream-berth': 'upstream kubelet + berth runtime',
  containerd: 'upstream kubelet + containerd (reference)',
};

export interface FixtureNodeOptions {
  cluster: Cluster;
  /** host:port of the registry serving the suite's images (plain HTTP). */
  registryHost: string;
  /** The pod sandbox image, as the suite names pause (through the registry above). */
  sandboxImage: string;
  /** 10.244.<octet>.0/24 for this node's pods. */
  cniOctet: number;
  workDir: string;
  /** Where the node's daemons' logs are copied when it stops (kept for a look after a run). */
  logDir: string;
}

export interface FixtureNode {
  name: string;
  stop(): Promise<void>;
}

/** Runs the undo steps in reverse, each even when an earlier one failed; reports the first error. */
export async function undoAll(steps: (() => Promise<unknown>)[]): Promise<void> {
  let first: unknown;
  for (const step of steps.reverse()) {
    try {
      await step();
    } catch (error) {
      first ??= error;
    }
  }
  if (first !== undefined) throw first;
}

async function removeNodeObject(cluster: Cluster, name: string): Promise<void> {
  await cluster.kubectl('delete', 'pods', '--all-namespaces', '--field-selector', `spec.nodeName=${name}`, '--force', '--grace-period=0').catch(() => '');
  await cluster.kubectl('delete', 'node', name, '--ignore-not-found').catch(() => '');
}

export async function startFixtureNode(kind: NodeKind, options: FixtureNodeOptions): Promise<FixtureNode> {
  const undo: (() => Promise<unknown>)[] = [];
  const since = Date.now();
  const name = `${kind}-${process.pid}`;
  const { cluster, workDir } = options;
  mkdirSync(workDir, { recursive: true });
  mkdirSync(options.logDir, { recursive: true });
  const keepLog = (path: string, as: string) => async () => cpSync(path, join(options.logDir, as));
  try {
    // The kubelet API asks the API server about its callers (TokenReview, SubjectAccessReview).
    await cluster.kubectl('apply', '-f', join(packageRoot(), 'manifests/rbac/berth-node.yaml'));
    const network = cniTestNetwork(`conformance-${kind}`, options.cniOctet);
    undo.push(() => network.remove());
    const cgroupRoot = `${ownMemoryCgroup()}/berth-conformance-${kind}-${process.pid}`;
    undo.push(async () => {
      removeCgroupPath(cgroupRoot, since);
      // berth's runtime anchors the same parent below its own cgroup in the memory hierarchy.
      removeCgroupPath(`${ownMemoryCgroup()}${cgroupRoot}`, since);
    });
    undo.push(() => removeNodeObject(cluster, name));
    // A pod removed while its container could not be created (seen: a projected volume's tmpfs
    // after a CreateContainerConfigError) can leave a volume mounted under the node's dirs.
    undo.push(() => unmountUnder(workDir));

    if (kind === 'berth') {
      const runtime = await berthRuntime.start({ registryHost: options.registryHost, cniConfDir: network.confDir, workDir });
      undo.push(() => runtime.stop());
      undo.push(async () => {
        const cri = new CriClient({ endpoint: runtime.endpoint });
        for (const sandbox of (await cri.listPodSandbox().catch(() => ({ items: [] }))).items) {
          await cri.stopPodSandbox(sandbox.id).catch(() => undefined);
          await cri.removePodSandbox(sandbox.id).catch(() => undefined);
        }
        cri.close();
      });
      mkdirSync(join(workDir, 'kubelet'), { recursive: true });
      const config = kubeletConfig({
        nodeName: name,
        nodeIp: '127.0.0.1',
        kubeconfigPath: await nodeKubeconfig(workDir, name, cluster.server),
        runtimeEndpoint: runtime.endpoint,
        rootDir: join(workDir, 'kubelet'),
        podLogsDir: join(workDir, 'pods'),
        cgroupParent: cgroupRoot,
        kubeletVersion: 'v0.1.0-berth',
        serverAddress: '127.0.0.1:0',
        clientCaFile: join(clusterPkiDir(), 'ca.crt'),
        devicePluginDir: defaultDevicePluginDir,
      });
      const logPath = join(workDir, 'berth-kubelet.log');
      const kubelet = await startKubelet(config, { logger: pino({ name: 'kubelet', level: 'info' }, pino.destination({ dest: logPath, sync: true })) });
      undo.push(() => kubelet.stop());
      undo.push(keepLog(logPath, `${kind}-kubelet.log`));
    } else {
      const nodeIp = hostAddress();
      if (!nodeIp) throw new Error('this machine has no non-loopback IPv4 address: the upstream kubelet refuses a loopback node IP');
      const mountNs = await privateMountNamespace(join(workDir, 'mount-ns'), kubeletKernelTunables);
      undo.push(() => mountNs.remove());
      let criSocket: string;
      if (kind === 'upstream-berth') {
        mkdirSync(join(workDir, 'berth'));
        const berth = await startBerth({
          workDir: join(workDir, 'berth'),
          logLevel: 'info',
          enter: mountNs.enter,
          args: ['--insecure-registry', options.registryHost, '--cni-conf-dir', network.confDir],
        });
        undo.push(() => berth.stop());
        undo.push(keepLog(berth.logPath, `${kind}-berth.log`));
        undo.push(() => berth.crictlResult('rmp', '--force', '--all'));
        criSocket = berth.socket;
      } else {
        const containerd = await startContainerd({
          registryHost: options.registryHost,
          cniConfDir: network.confDir,
          sandboxImage: options.sandboxImage,
          enter: mountNs.enter,
        });
        undo.push(() => containerd.stop());
        // The runc shims outlive containerd: the pods go first.
        const endpoint = `unix://${containerd.socket}`;
        undo.push(() => execa(goTool('crictl'), ['--runtime-endpoint', endpoint, '--image-endpoint', endpoint, 'rmp', '--force', '--all'], { reject: false, timeout: 120_000 }));
        criSocket = containerd.socket;
      }
      const kubelet = await startUpstreamKubelet({
        nodeName: name,
        nodeIp,
        apiServer: cluster.server,
        criSocket,
        workDir: join(workDir, 'kubelet'),
        cgroupRoot,
        port: await freePort(),
        healthzPort: await freePort(),
        namespace: mountNs,
      });
      undo.push(() => kubelet.stop());
      undo.push(keepLog(kubelet.logPath, `${kind}-kubelet.log`));
    }
    await waitForReadyNode(cluster, name);
    // The controller-manager makes a namespace's default ServiceAccount shortly after start.
    await waitFor(() => cluster.kubectl('get', 'serviceaccount', '-n', 'default', 'default'), 'the default ServiceAccount');
  } catch (error) {
    await undoAll(undo).catch(() => undefined);
    throw error;
  }
  return { name, stop: () => undoAll(undo) };
}

async function unmountUnder(dir: string): Promise<void> {
  const mountPoints = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountPoint) => mountPoint.startsWith(`${dir}/`))
    .reverse();
  for (const mountPoint of mountPoints) await execa('umount', ['-l', mountPoint], { reject: false });
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not show within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

async function waitForReadyNode(cluster: Cluster, name: string): Promise<void> {
  await waitFor(async () => {
    const ready = await cluster.kubectl('get', 'node', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}');
    return ready.trim() === 'True' ? true : undefined;
  }, `node ${name} Ready`);
}
