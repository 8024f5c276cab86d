// A real kind cluster on the test dockerd (kind-docker.ts), from what setup/kind-world.sh built:
// the kind CLI, and the node image (a rootfs tar `docker import`ed with the settings in its
// import.json). Cluster networks stay in ranges no other test uses: the docker network "kind"
// is made here on a 172.30.x subnet before kind would pick one, and pods get 10.244.248.0/22
// (one /24 per node), inside the octets of this suite.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { goTool, toolsDir } from './tools.js';
import type { TestDockerd } from './kind-docker.js';

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

/** Imports the node image kind-world.sh built into the test dockerd; returns its name. */
export async function importNodeImage(dockerd: TestDockerd): Promise<string> {
  const dir = join(toolsDir(), 'kind/node/current');
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

/**
 * kind's cluster config: one control plane and `workers` workers. On a cgroup v1 host the
 * kubelets (Kubernetes 1.35+) refuse to start unless failCgroupV1 is false, set through kind's
 * kubeadmConfigPatches for every node's KubeletConfiguration.
 */
export function kindConfig(workers: number): string {
  const patches = hostIsCgroupV1()
    ? `kubeadmConfigPatches:
- |
  kind: KubeletConfiguration
  failCgroupV1: false
`
    : '';
  return `kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  podSubnet: ${kindPodSubnet}
${patches}nodes:
- role: control-plane
${'- role: worker\n'.repeat(workers)}`;
}

export interface KindCluster {
  name: string;
  kubeconfig: string;
  kubectl(...args: string[]): Promise<string>;
  kind(...args: string[]): Promise<string>;
  delete(): Promise<void>;
}

export async function createKindCluster(options: {
  dockerd: TestDockerd;
  dir: string;
  name: string;
  image: string;
  workers: number;
}): Promise<KindCluster> {
  const kubeconfig = join(options.dir, 'kubeconfig');
  const configPath = join(options.dir, 'kind-config.yaml');
  writeFileSync(configPath, kindConfig(options.workers));
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
  await kind('create', 'cluster', '--name', options.name, '--image', options.image, '--config', configPath,
    '--kubeconfig', kubeconfig, '--retain', '--wait', '0s', '-v', '1').catch(async (error: Error) => {
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

