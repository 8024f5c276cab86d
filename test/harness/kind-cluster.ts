// A real kind cluster on the test dockerd (kind-docker.ts), from what setup/kind-world.sh built:
// the kind CLI, and the node image (a rootfs tar `docker import`ed with the settings in its
// import.json). Cluster networks stay in ranges no other test uses: the docker network "kind"
// is made here on a 172.30.x subnet before kind would pick one, and pods get 10.244.248.0/22
// (one /24 per node), inside the octets of this suite.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { goTool, toolsDir } from './tools.js';
import { startTestDockerd, type TestDockerd } from './kind-docker.js';
import { requireRoot } from './root.js';

const run = promisify(execFile);

export const kindNetworkSubnet = '172.30.251.0/24';
export const kindPodSubnet = '10.244.248.0/22';

export function kindTool(name: string): string {
  const path = join(toolsDir(), 'kind/bin', name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run tools" (setup/kind-world.sh)`);
  return path;
}

interface NodeImageBuild {
  name: string;
  changes: string[];
}

/**
 * Imports a node image kind-world.sh built into the test dockerd; returns its name. "kind" is
 * kind's own node (containerd + kubelet), "berth" the same node with berth's runtime instead.
 */
export async function importNodeImage(dockerd: TestDockerd, flavor: 'kind' | 'berth'): Promise<string> {
  const dir = join(toolsDir(), `kind/${flavor}-node/current`);
  const importJson = join(dir, 'import.json');
  if (!existsSync(importJson)) throw new Error(`${dir} has no node image: run "npm run tools" (setup/kind-world.sh)`);
  const build = JSON.parse(readFileSync(importJson, 'utf8')) as NodeImageBuild;
  await dockerd.docker(['import', ...build.changes.flatMap((change) => ['--change', change]), join(dir, 'rootfs.tar'), build.name], {
    timeoutMs: 600_000,
  });
  return build.name;
}

/** This host's cgroup layout: v1 or hybrid unless the unified hierarchy is mounted at the root. */
export function hostIsCgroupV1(): boolean {
  return !existsSync('/sys/fs/cgroup/cgroup.controllers');
}

export interface KindNode {
  role: 'control-plane' | 'worker';
  /** A node image other than the cluster's --image (e.g. berth's node). */
  image?: string;
  /** Host paths bound into the node container, read-only. */
  mounts?: { hostPath: string; containerPath: string }[];
  /** kubeadm documents (YAML) patched into this node's kubeadm config. */
  kubeadmPatches?: string[];
}

const indent = (text: string, spaces: number): string =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => ' '.repeat(spaces) + line)
    .join('\n');

export interface KindClusterShape {
  /** The cluster's pod CIDR; each node gets a /24 of it unless a patch sets node-cidr-mask-size. */
  podSubnet?: string;
  /** kubeadm documents (YAML) patched into every node's kubeadm config. */
  patches?: string[];
  /** TOML merged into every containerd node's /etc/containerd/config.toml (kind's containerdConfigPatches). */
  containerdPatches?: string[];
}

/**
 * kind's cluster config. On a cgroup v1 host the kubelets (Kubernetes 1.35+) refuse to start
 * unless failCgroupV1 is false, set through kind's kubeadmConfigPatches for every node's
 * KubeletConfiguration.
 */
export function kindConfig(nodes: KindNode[], shape: KindClusterShape = {}): string {
  const clusterPatches = [...(hostIsCgroupV1() ? ['kind: KubeletConfiguration\nfailCgroupV1: false\n'] : []), ...(shape.patches ?? [])];
  const patches = clusterPatches.length > 0 ? `kubeadmConfigPatches:\n${clusterPatches.map((patch) => `- |\n${indent(patch, 2)}\n`).join('')}` : '';
  const containerd = shape.containerdPatches?.length ? `containerdConfigPatches:\n${shape.containerdPatches.map((patch) => `- |\n${indent(patch, 2)}\n`).join('')}` : '';
  const nodeYaml = nodes.map((node) => {
    let yaml = `- role: ${node.role}\n`;
    if (node.image) yaml += `  image: ${node.image}\n`;
    if (node.mounts?.length) {
      yaml += '  extraMounts:\n';
      for (const mount of node.mounts) yaml += `  - hostPath: ${mount.hostPath}\n    containerPath: ${mount.containerPath}\n    readOnly: true\n`;
    }
    if (node.kubeadmPatches?.length) {
      yaml += '  kubeadmConfigPatches:\n';
      for (const patch of node.kubeadmPatches) yaml += `  - |\n${indent(patch, 4)}\n`;
    }
    return yaml;
  });
  return `kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  podSubnet: ${shape.podSubnet ?? kindPodSubnet}
${patches}${containerd}nodes:
${nodeYaml.join('')}`;
}

export interface KindCluster {
  name: string;
  kubeconfig: string;
  kubectl(...args: string[]): Promise<string>;
  kind(...args: string[]): Promise<string>;
  delete(): Promise<void>;
}

export async function createKindCluster(options: { dockerd: TestDockerd; dir: string; name: string; image: string; nodes: KindNode[]; shape?: KindClusterShape }): Promise<KindCluster> {
  const kubeconfig = join(options.dir, 'kubeconfig');
  const configPath = join(options.dir, 'kind-config.yaml');
  // kind's --image replaces every node's image, so a cluster with a node of another image names
  // the default in each node's entry instead.
  const mixed = options.nodes.some((node) => node.image !== undefined);
  const nodes = mixed ? options.nodes.map((node) => ({ ...node, image: node.image ?? options.image })) : options.nodes;
  writeFileSync(configPath, kindConfig(nodes, options.shape));
  const kind = async (...args: string[]): Promise<string> => {
    const { stdout, stderr } = await run(kindTool('kind'), args, {
      env: { ...options.dockerd.env, KIND_EXPERIMENTAL_PROVIDER: 'docker' },
      timeout: 900_000,
      maxBuffer: 64 << 20,
    });
    return stdout + stderr;
  };
  const kubectl = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(goTool('kubectl'), ['--kubeconfig', kubeconfig, ...args], { timeout: 120_000, maxBuffer: 64 << 20 });
    return stdout;
  };
  // kind joins the docker network named "kind" when it exists; made here, it has a subnet of ours.
  await options.dockerd.docker(['network', 'create', '--subnet', kindNetworkSubnet, 'kind']);
  await kind(
    'create',
    'cluster',
    '--name',
    options.name,
    ...(mixed ? [] : ['--image', options.image]),
    '--config',
    configPath,
    '--kubeconfig',
    kubeconfig,
    '--retain',
    '--wait',
    '0s',
    '-v',
    '1',
  ).catch(async (error: Error) => {
    throw new Error(`kind create cluster failed: ${error.message}\n${await exportLogs(kind, options)}`);
  });
  return {
    name: options.name,
    kubeconfig,
    kubectl,
    kind,
    delete: async () => {
      await kind('delete', 'cluster', '--name', options.name, '--kubeconfig', kubeconfig);
    },
  };
}

/** `kind export logs` into the test dir (kept when BERTH_KIND_LOG_DIR names one), for a failure's message. */
async function exportLogs(kind: (...args: string[]) => Promise<string>, options: { dir: string; name: string }): Promise<string> {
  const dir = process.env['BERTH_KIND_LOG_DIR'] ?? join(options.dir, 'logs');
  return kind('export', 'logs', dir, '--name', options.name).then(
    () => `kind's node logs: ${dir}`,
    (error: Error) => `kind export logs failed too: ${error.message}`,
  );
}

/**
 * Tears a kind test down whatever got made: the cluster (its logs first, into BERTH_KIND_LOG_DIR
 * when set), the dockerd, the test dir; every failure is reported, none stops the rest.
 */
export async function tearDownKindWorld(parts: { cluster?: KindCluster | undefined; dockerd?: TestDockerd | undefined; dir?: string | undefined }): Promise<void> {
  const problems: unknown[] = [];
  const keepLogs = process.env['BERTH_KIND_LOG_DIR'];
  if (keepLogs && parts.cluster) await parts.cluster.kind('export', 'logs', keepLogs, '--name', parts.cluster.name).catch((e: unknown) => problems.push(e));
  await parts.cluster?.delete().catch((error: unknown) => problems.push(error));
  await parts.dockerd?.stop().catch((error: unknown) => problems.push(error));
  if (parts.dir) rmSync(parts.dir, { recursive: true, force: true });
  if (problems.length > 0) throw new AggregateError(problems, 'kind teardown failed');
}

export interface KindWorld {
  dir: string;
  dockerd: TestDockerd;
  /** The imported node images by flavor. */
  images: Record<'kind' | 'berth', string | undefined>;
}

/** The test dir, the private dockerd and the node images a kind test needs (its duration logged). */
export async function startKindWorld(flavors: ('kind' | 'berth')[]): Promise<KindWorld> {
  requireRoot('kind');
  kindTool('kind');
  const started = Date.now();
  const dir = mkdtempSync('/tmp/berth-kind-test-');
  const dockerd = await startTestDockerd({ bridgeSubnet: '172.30.0.0/16' });
  const images: KindWorld['images'] = { kind: undefined, berth: undefined };
  try {
    for (const flavor of flavors) images[flavor] = await importNodeImage(dockerd, flavor);
  } catch (error) {
    await tearDownKindWorld({ dockerd, dir }).catch(() => undefined);
    throw error;
  }
  // Durations are logged for the report (bench/ owns speed); nothing asserts on them.
  console.info(`kind world: dockerd up and ${flavors.join(' + ')} node images imported in ${Date.now() - started} ms`);
  return { dir, dockerd, images };
}

/**
 * The kind world and a cluster in it, in one step (its kind create duration logged); whatever
 * was made is torn down when a step fails. `nodes` gets the imported node images.
 */
export async function startKindCluster(options: {
  flavors: ('kind' | 'berth')[];
  name: string;
  nodes: (images: KindWorld['images']) => KindNode[];
  shape?: KindClusterShape;
}): Promise<KindWorld & { cluster: KindCluster }> {
  const world = await startKindWorld(options.flavors);
  const started = Date.now();
  try {
    const image = world.images.kind;
    if (!image) throw new Error('a kind cluster needs the "kind" node image among the flavors');
    const nodes = options.nodes(world.images);
    const cluster = await createKindCluster({ dockerd: world.dockerd, dir: world.dir, name: options.name, image, nodes, ...(options.shape ? { shape: options.shape } : {}) });
    console.info(`kind cluster ${options.name}: kind create cluster (${nodes.map((node) => node.role).join(' + ')}) took ${Date.now() - started} ms`);
    return { ...world, cluster };
  } catch (error) {
    await tearDownKindWorld(world).catch(() => undefined);
    throw error;
  }
}
