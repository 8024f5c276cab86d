// The pinned upstream kubelet (built by `npm run tools`) joined to the cluster fixture with a CRI
// runtime's socket, the way a CRI-O user runs it: a KubeletConfiguration file, node credentials,
// everything under one work dir. Two things it would otherwise do to the whole machine are kept
// inside a mount namespace of its own (shared with the runtime, so both see the same volume
// mounts): the kernel tunables it sets at start (kernel.panic_on_oops=1, vm.overcommit_memory=1,
// ... in the container manager's setupKernelTunables) land on bind-mounted files, not the host's
// /proc/sys; and the mounts under its root dir (made rshared, secret tmpfs, ...) vanish with the
// namespace. Its cgroups go below this process's own cgroup (cgroupRoot), never at the root of the
// machine-managed hierarchies; stop() removes the ones it made.
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeCgroupPath } from '../../bench/cgroups.js';
import { startDaemon, type Daemon } from './daemon.js';
import { nodeKubeconfig } from './node-credentials.js';
import { clusterPkiDir, goTool } from './tools.js';

/** What the kubelet's setupKernelTunables wants (pkg/kubelet/cm/container_manager_linux.go). */
export const kubeletKernelTunables: Record<string, string> = {
  'vm/overcommit_memory': '1',
  'vm/panic_on_oom': '0',
  'kernel/panic': '10',
  'kernel/panic_on_oops': '1',
  'kernel/keys/root_maxkeys': '1000000',
  'kernel/keys/root_maxbytes': '25000000',
};

export interface MountNamespace {
  /** Prefix for a command that runs inside the namespace. */
  enter: string[];
  /** Unmounts the namespace file; the mounts inside go when its last process exits. */
  remove(): Promise<void>;
}

/**
 * A persistent private mount namespace (a bind of /proc/<pid>/ns/mnt on a file) whose /proc/sys
 * files named in `tunables` are bind-mounted copies holding those values.
 */
export async function privateMountNamespace(dir: string, tunables: Record<string, string>): Promise<MountNamespace> {
  mkdirSync(join(dir, 'sysctl'), { recursive: true });
  // unshare --mount=FILE needs FILE on a private mount; the holder dir is bound onto itself.
  await execa('mount', ['--bind', dir, dir]);
  await execa('mount', ['--make-private', dir]);
  const nsFile = join(dir, 'mnt');
  writeFileSync(nsFile, '');
  const binds = Object.entries(tunables).map(([key, value]) => {
    const copy = join(dir, 'sysctl', key.replaceAll('/', '.'));
    writeFileSync(copy, `${value}\n`);
    return `mount --bind ${copy} /proc/sys/${key}`;
  });
  await execa('unshare', [`--mount=${nsFile}`, '--propagation', 'private', 'sh', '-ec', binds.join('\n')]);
  return {
    enter: ['nsenter', `--mount=${nsFile}`, '--'],
    remove: async () => {
      await execa('umount', [nsFile], { reject: false });
      await execa('umount', ['-l', dir], { reject: false });
    },
  };
}

export interface UpstreamKubeletOptions {
  nodeName: string;
  /** The node's InternalIP: not loopback (the kubelet refuses it); the API server dials it. */
  nodeIp: string;
  apiServer: string;
  /** unix socket path of the CRI runtime (runtime and image service). */
  criSocket: string;
  workDir: string;
  /** The kubelet's cgroupRoot: made in every hierarchy first (it must exist). */
  cgroupRoot: string;
  port: number;
  healthzPort: number;
  /** Runs the kubelet inside this namespace. */
  namespace: MountNamespace;
}

/** The KubeletConfiguration (JSON is YAML) for a node of the fixture on a hybrid or v2 host. */
export function kubeletConfiguration(options: Omit<UpstreamKubeletOptions, 'namespace'>): Record<string, unknown> {
  const { workDir } = options;
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: options.nodeIp,
    port: options.port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: options.healthzPort,
    containerRuntimeEndpoint: `unix://${options.criSocket}`,
    imageServiceEndpoint: `unix://${options.criSocket}`,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: options.cgroupRoot,
    // These machines are hybrid cgroup v1; 1.35+ refuses v1 without this.
    failCgroupV1: false,
    failSwapOn: false,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: join(clusterPkiDir(), 'ca.crt') },
    },
    authorization: { mode: 'Webhook' },
    resolvConf: '/etc/resolv.conf',
    clusterDomain: 'cluster.local',
    podLogsDir: join(workDir, 'pod-logs'),
    volumePluginDir: join(workDir, 'volume-plugins'),
    // Fast enough that the checks below see status changes within seconds.
    syncFrequency: '5s',
    nodeStatusUpdateFrequency: '5s',
    // A development machine's disk and memory are shared: thresholds that never evict.
    evictionHard: { 'memory.available': '1Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    rotateCertificates: false,
    serverTLSBootstrap: false,
    registerNode: true,
    shutdownGracePeriod: '0s',
    // The test kubelet shares the host's network namespace: its KUBE-FIREWALL and canary chains
    // would outlive it there (a fresh machine's e2e tier found them left behind). Nothing in the
    // test world needs them; kube-proxy, which does, is not run here.
    makeIPTablesUtilChains: false,
  };
}

export interface UpstreamKubelet {
  logPath: string;
  stop(): Promise<void>;
}

/** The cgroup directories below /sys/fs/cgroup/<hierarchy> for `path` (unified included). */
function cgroupDirs(path: string): string[] {
  return readdirSync('/sys/fs/cgroup').map((hierarchy) => join('/sys/fs/cgroup', hierarchy, path));
}

export async function startUpstreamKubelet(options: UpstreamKubeletOptions): Promise<UpstreamKubelet> {
  const { workDir } = options;
  const since = Date.now();
  mkdirSync(workDir, { recursive: true });
  for (const dir of cgroupDirs(options.cgroupRoot)) mkdirSync(dir, { recursive: true });
  const configPath = join(workDir, 'kubelet-config.json');
  writeFileSync(configPath, JSON.stringify(kubeletConfiguration(options), null, 2));
  const kubeconfig = await nodeKubeconfig(workDir, options.nodeName, options.apiServer);
  // The device manager's socket dir is a constant, not below --root-dir.
  const devicePluginDir = '/var/lib/kubelet/device-plugins';
  const devicePluginDirExisted = existsSync(devicePluginDir);
  const logPath = join(workDir, 'kubelet.log');
  const [command = 'nsenter', ...prefix] = options.namespace.enter;
  const daemon: Daemon = await startDaemon({
    name: 'upstream kubelet',
    command,
    args: [
      ...prefix,
      goTool('kubelet'),
      `--config=${configPath}`,
      `--kubeconfig=${kubeconfig}`,
      `--hostname-override=${options.nodeName}`,
      `--node-ip=${options.nodeIp}`,
      `--root-dir=${join(workDir, 'root')}`,
      `--cert-dir=${join(workDir, 'pki')}`,
      '--v=2',
    ],
    logPath,
    ready: async () => (await fetch(`http://127.0.0.1:${options.healthzPort}/healthz`)).ok,
    timeoutMs: 60_000,
  });
  return {
    logPath,
    stop: async () => {
      await daemon.stop();
      for (const file of ['kubelet.sock', 'kubelet_internal_checkpoint']) rmSync(join(devicePluginDir, file), { force: true });
      if (!devicePluginDirExisted) rmSync(devicePluginDir, { recursive: true, force: true });
      removeCgroupPath(options.cgroupRoot, since);
    },
  };
}
