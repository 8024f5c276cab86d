// berth's command line: `berth runtime` (CRI server alone), `berth node` (kubelet + runtime),
// `berth image import`, docker's everyday commands (run, ps, logs, exec, stop, rm, pull, images)
// over the CRI socket, and docker's image commands (tag, rmi, history, save, load, import, push,
// login, logout, image prune) over berth.v1.Images on the same socket. Flags follow containerd's,
// the kubelet's and docker's names so that existing habits and scripts carry over.
import { Command, CommanderError, Option } from 'commander';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { BerthError } from '../common/errors.js';
import { packageVersion } from '../common/package-version.js';
import { readPinnedVersions } from '../common/pinned-versions.js';
import { defaultDevicePluginDir } from '../kubelet/devices/plugin-api.js';
import { addContainerCommands, type ExitCode } from './containers/register.js';
import { addImageCommands } from './images/register.js';
import { addBuildCommand } from './build/register.js';
import { addBerthApiContainerCommands } from './containers/register-berth-api.js';
import { addVolumeCommands } from './volumes/register.js';
import { addNetworkCommands } from './networks/register.js';
import { addSystemCommands } from './system/register.js';
import { addComposeCommands } from './compose/register.js';
import type { JoinFlags } from './join-command.js';
import type { NodeFlags } from './node-command.js';
import { defaultRuntimeConfigFile, runtimeConfigFromFlags, type RuntimeFlags } from './runtime-options.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function addRuntimeFlags(command: Command): Command {
  return command
    .option('--socket <path>', 'CRI gRPC unix socket', '/run/berth/berth.sock')
    .option('--root-dir <dir>', 'persistent state: images, snapshots, records', '/var/lib/berth')
    .option('--state-dir <dir>', 'volatile state: bundles, sockets, pid files', '/run/berth')
    .addOption(new Option('--runtime <name>', 'OCI runtime (default: crun on pure cgroup v2, else runc)').choices(['runc', 'crun']))
    .option('--insecure-registry <host:port>', 'registry reached over plain HTTP (repeatable)', collect, [])
    .option('--registry-mirror <host=url>', "pull HOST's images from URL instead (repeatable)", collect, [])
    .option('--cni-conf-dir <dir>', 'CNI network configurations', '/etc/cni/net.d')
    .option('--cni-bin-dir <dirs>', 'CNI plugin binaries (colon-separated list)', '/usr/lib/cni:/opt/cni/bin')
    .option('--stream-address <ip>', 'address of the streaming server (exec, port-forward URLs)', '127.0.0.1')
    .option('--stream-port <n>', 'port of the streaming server (0: any free port)', (v) => Number.parseInt(v, 10), 0)
    .option('--metrics-address <host:port>', 'where /metrics is served ("" for nowhere)', '127.0.0.1:9449')
    .option('--gpu-driver-root <dir>', 'root of the NVIDIA user-space driver (libraries, binaries)', '/')
    .option('--gpu-device-root <dir>', 'root holding dev/, proc/ and sys/ for GPU discovery', '/')
    .option('--cdi-spec-dir <dir>', 'CDI spec directory, lowest priority first (repeatable; default /etc/cdi, /var/run/cdi)', collect, [])
    .option('--pids-limit <n>', "most processes each container may hold (its cgroup's pids.max; CRI-O's flag); 0: no limit", '0')
    .option(
      '--cgroup-driver <driver>',
      "who makes pod and container cgroups: cgroupfs (berth itself) or systemd (slices and scopes, as kubeadm and kind nodes run); default: the runtime config file's, else cgroupfs",
    )
    .option('--runtime-config <file>', `the runtime's JSON config file ({"cgroupDriver": "systemd"}); default ${defaultRuntimeConfigFile}, read where it exists`)
    .option('--max-layer-size <bytes>', 'most bytes one image layer may decompress to, e.g. 32Gi; never more than the space free under the root dir', '32Gi')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error']).default('info'));
}

/** The kubelet's flags, shared by `berth node` and `berth join` (which makes its own kubeconfig). */
function addNodeFlags(command: Command, options: { kubeconfig: boolean; kubeletConfigFile: boolean }): Command {
  if (options.kubeconfig) {
    command
      .option('--kubeconfig <path>', 'API server credentials; without it berth runs static pods only (standalone)')
      .option('--bootstrap-kubeconfig <path>', "a bootstrap token kubeconfig (kubeadm's bootstrap-kubelet.conf): when --kubeconfig is missing, TLS bootstrap writes it")
      .option('--cert-dir <dir>', 'where bootstrapped client certificates go (default <root-dir>/kubelet/pki)');
  }
  if (options.kubeletConfigFile) command.option('--config <path>', 'KubeletConfiguration-style file');
  return (
    addRuntimeFlags(command)
      .option('--container-runtime-endpoint <endpoint>', "CRI endpoint of the runtime to drive (default: berth's own)")
      .option('--runtime-request-timeout <duration>', 'deadline of each CRI call (image pulls have none; they stop when their pod is deleted); default 2m')
      .option('--pod-manifest-path <dir>', 'directory of static pod manifests', 'manifests/static')
      .option('--node-name <name>', 'name of the Node object', hostname())
      .option('--node-ip <ip>', 'IP address to advertise for the node')
      .option('--max-pods <n>', 'pods this node accepts', (v) => Number.parseInt(v, 10), 110)
      .option('--node-labels <labels>', 'labels the Node registers with: key=value,...')
      .option('--kube-reserved <resources>', 'set aside for Kubernetes daemons, left out of allocatable: cpu=100m,memory=256Mi,ephemeral-storage=1Gi')
      .option('--system-reserved <resources>', 'set aside for the system, left out of allocatable: cpu=...,memory=...,ephemeral-storage=...')
      .option('--device-plugin-dir <dir>', "where device plugins register (kubelet.sock) and serve; '' turns them off", defaultDevicePluginDir)
      .option('--enforce-node-allocatable <levels>', "hold the pods' cgroup to the allocatable cpu and memory: pods (default), or none")
      .option('--register-with-taints <taints>', 'taints the Node registers with: key=value:Effect,... (NoSchedule, PreferNoSchedule, NoExecute)')
      .option('--cgroup-root <path>', 'cgroup every pod goes below (default /kubepods)')
      .option('--cluster-dns <ip>', 'DNS server for pods (repeatable)', collect, [])
      .option('--cluster-domain <domain>', 'cluster DNS domain', 'cluster.local')
      .option('--address <ip>', 'IP address the kubelet API (HTTPS, authenticated) binds to', '0.0.0.0')
      .option('--port <port>', 'kubelet API port, served when joined to an API server (0: off)', (v) => Number.parseInt(v, 10), 10250)
      .option('--client-ca-file <path>', 'CA bundle that kubelet API client certificates must chain to')
      .option('--tls-cert-file <path>', 'kubelet API serving certificate (default: self-signed under the root dir)')
      .option('--tls-private-key-file <path>', 'key of --tls-cert-file')
      .option('--healthz-port <port>', "plain HTTP /healthz on 127.0.0.1 (kubeadm's 10248; 0: off); default: the config file's healthzPort, else off", (v) => Number.parseInt(v, 10))
      .option('--rotate-server-certificates', "ask the cluster for the serving certificate (kubelet-serving CSR, approved by an administrator) and rotate it; the config file's serverTLSBootstrap")
      // Off unless asked for, as upstream: anything that can reach it reads every pod's metrics.
      .option(
        '--read-only-port <port>',
        'HTTP port on 127.0.0.1 for /metrics/cadvisor, /metrics/resource, /stats/summary, no authentication (upstream used 10255; 0: off)',
        (v) => Number.parseInt(v, 10),
        0,
      )
  );
}

/**
 * `flags` with kubeadm-flags.env's beside --config (cli/kubeadm-flags.ts) wherever the command
 * line gave none; the file's words are parsed by the same flag definitions.
 */
export async function withKubeadmFlags(flags: NodeFlags, command: Command): Promise<NodeFlags> {
  const { kubeadmArgsBeside } = await import('./kubeadm-flags.js');
  const { file, args } = await kubeadmArgsBeside(flags.config ?? '');
  if (args.length === 0) return flags;
  const fromFile = addNodeFlags(new Command('node'), { kubeconfig: true, kubeletConfigFile: true }).exitOverride().allowUnknownOption().allowExcessArguments();
  // parseOptions sets the values (and their source, 'cli') as it goes; what it does not know comes back.
  const { unknown } = fromFile.parseOptions(args);
  if (unknown.length > 0) console.warn(`berth node: ${file}: skipping flags berth's kubelet does not take: ${unknown.join(' ')}`);
  const merged: NodeFlags = { ...flags };
  for (const [key, value] of Object.entries(fromFile.opts())) {
    const givenHere = command.getOptionValueSource(key);
    if (fromFile.getOptionValueSource(key) === 'cli' && (givenHere === undefined || givenHere === 'default')) Object.assign(merged, { [key]: value });
  }
  return merged;
}

export function buildProgram(result: ExitCode = { exitCode: 0 }): Command {
  const program = new Command('berth')
    .description('A Kubernetes node agent: CRI runtime, CNI networking and a kubelet')
    .version(`berth ${packageVersion()}`, '-v, --version')
    .exitOverride()
    .showHelpAfterError()
    // `berth run IMAGE ls -l`: what follows the image belongs to the container's command.
    .enablePositionalOptions();

  addRuntimeFlags(program.command('runtime').description('serve the CRI (RuntimeService + ImageService) alone')).action(async (flags: RuntimeFlags) => {
    // Each command loads only its own code: `berth runtime` never pays for the kubelet's
    // Kubernetes client in memory or start-up time.
    const { runRuntime } = await import('./runtime-command.js');
    await runRuntime(runtimeConfigFromFlags(flags), flags.logLevel, {
      stream: { address: flags.streamAddress, port: flags.streamPort },
      metricsAddress: flags.metricsAddress,
    });
  });

  addNodeFlags(program.command('node').description('run the kubelet with the embedded runtime'), { kubeconfig: true, kubeletConfigFile: true }).action(async (flags: NodeFlags, command: Command) => {
    const { runNode } = await import('./node-command.js');
    await runNode(flags.config ? await withKubeadmFlags(flags, command) : flags);
  });

  addNodeFlags(
    program.command('join [endpoint]').description("join a kubeadm cluster as kubeadm join does (token discovery, TLS bootstrap), then run the node; endpoint: the API server's host:port"),
    { kubeconfig: false, kubeletConfigFile: false },
  )
    .option('--token <id.secret>', 'bootstrap token for discovery and TLS bootstrap (kubeadm token create)')
    .option('--tls-bootstrap-token <id.secret>', 'token for TLS bootstrap when it differs from --token (with --discovery-file)')
    .option('--discovery-token-ca-cert-hash <sha256:hex>', "pin of the cluster CA's public key (repeatable; any match will do)", collect, [])
    .option('--discovery-token-unsafe-skip-ca-verification', 'trust the cluster CA that token discovery finds without a pin')
    .option('--discovery-file <path>', 'a kubeconfig naming the cluster (server and CA) instead of token discovery')
    .option('--discovery-timeout <duration>', 'how long token discovery retries (the token may be signed a moment later)', '5m')
    .option('--tls-bootstrap-timeout <duration>', 'how long to wait for the client certificate to be approved and issued', '5m')
    .option('--cri-socket <endpoint>', "CRI endpoint of the runtime to drive (kubeadm's name for --container-runtime-endpoint)")
    .option('--config <path>', 'kubeadm JoinConfiguration (kubeadm.k8s.io/v1beta3 or v1beta4); flags given win over it')
    .action(async (endpoint: string | undefined, flags: JoinFlags, command: Command) => {
      const { runJoin } = await import('./join-command.js');
      const given = new Set(Object.keys(flags).filter((key) => command.getOptionValueSource(key) !== 'default'));
      await runJoin(endpoint, flags, given);
    });

  const image = program.command('image').description('manage images in the local store');
  image
    .command('import <path>')
    .description('load an OCI image layout (directory) or an archive of one into the store, without a registry')
    .option('--root-dir <dir>', 'berth root dir holding the image store', '/var/lib/berth')
    .option('--name <repository>', 'repository for entries tagged with a bare tag, e.g. localhost/berth/busybox')
    .action(async (path: string, flags: { rootDir: string; name?: string }) => {
      const { importImage } = await import('./image-command.js');
      await importImage(path, { rootDir: resolve(flags.rootDir), ...(flags.name ? { name: flags.name } : {}) });
    });

  program
    .command('versions')
    .description('print the pinned versions of the peers berth is tested against')
    .action(() => {
      for (const [key, value] of Object.entries(readPinnedVersions())) process.stdout.write(`${key}=${value}\n`);
    });

  addContainerCommands(program, result);
  addBerthApiContainerCommands(program, result);
  addImageCommands(program, image, result);
  addBuildCommand(program, result);
  addVolumeCommands(program, result);
  addNetworkCommands(program, result);
  addSystemCommands(program);
  addComposeCommands(program, result);
  return program;
}

/** Runs the CLI and returns the process exit code. */
export async function run(argv: string[]): Promise<number> {
  try {
    const result: ExitCode = { exitCode: 0 };
    await buildProgram(result).parseAsync(argv);
    return result.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof BerthError) {
      process.stderr.write(`berth: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
