// A berth node beside a kind cluster, started the way kind starts its own nodes (the docker run
// flags of kind's docker provider: privileged, systemd as PID 1 behind kind's entrypoint, /var a
// volume, tmpfs /run and /tmp, the cluster's docker network) from berth's node image, with this
// checkout's berth mounted at /opt/berth. Nothing joins it to the cluster here: the test runs
// `berth join` in it as a user would (join()), with the arguments kubeadm printed.
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../common/package-root.js';
import { eventually } from './eventually.js';
import type { TestDockerd } from './kind-docker.js';

/** This checkout's berth (the build, its dependencies and pinned versions) as a node sees it. */
export function berthCheckoutMounts(): { hostPath: string; containerPath: string }[] {
  const root = packageRoot();
  return [
    // What berth reads at run time besides dist/: its protos, pinned versions and package.json.
    ...['bin', 'dist', 'setup', 'package.json', 'api', 'kubelet/devices/generated'].map((name) => ({ hostPath: join(root, name), containerPath: `/opt/berth/${name}` })),
    { hostPath: realpathSync(join(root, 'node_modules')), containerPath: '/opt/berth/node_modules' },
  ];
}

export interface KindBerthNode {
  name: string;
  /** The node container's address on the kind network (the Node's InternalIP). */
  ip: string;
  /** A command in the node container; its stdout. */
  exec(...command: string[]): Promise<string>;
  /** `berth ARGS` in the node container, run to its end. */
  berth(...args: string[]): Promise<string>;
  /**
   * `berth join ARGS` as a systemd service of the node (berth-join.service, as a user would run
   * a node agent); returns once systemd started it.
   */
  join(args: string[]): Promise<void>;
  /** The node's journal for a unit, for failure messages. */
  journal(unit: string): Promise<string>;
  remove(): Promise<void>;
}

export interface KindBerthNodeOptions {
  dockerd: TestDockerd;
  name: string;
  image: string;
  network?: string;
  /**
   * The runtime's cgroup driver, as a user sets it (berth's runtime config file, then a restart
   * of berth-runtime.service): systemd for nodes joined with kubeadm's KubeletConfiguration
   * (cgroupDriver: systemd), as kind's containerd is set up (SystemdCgroup = true). Default: the
   * image's, cgroupfs.
   */
  runtimeCgroupDriver?: 'systemd' | 'cgroupfs';
}

export async function startKindBerthNode(options: KindBerthNodeOptions): Promise<KindBerthNode> {
  const { dockerd, name } = options;
  const mounts = berthCheckoutMounts().flatMap((mount) => ['--volume', `${mount.hostPath}:${mount.containerPath}:ro`]);
  await dockerd.docker([
    'run',
    '--detach',
    '--tty',
    '--net',
    options.network ?? 'kind',
    '--restart=on-failure:1',
    '--init=false',
    '--cgroupns=private',
    '--hostname',
    name,
    '--name',
    name,
    '--privileged',
    '--security-opt',
    'seccomp=unconfined',
    '--security-opt',
    'apparmor=unconfined',
    '--tmpfs',
    '/tmp',
    '--tmpfs',
    '/run',
    // berth's overlayfs snapshots cannot sit on the container's own overlay root.
    '--volume',
    '/var',
    '--volume',
    '/lib/modules:/lib/modules:ro',
    ...mounts,
    options.image,
  ]);
  const exec = (...command: string[]): Promise<string> => dockerd.docker(['exec', name, ...command], { timeoutMs: 300_000 });
  const node: KindBerthNode = {
    name,
    ip: '',
    exec,
    berth: (...args) => exec('/usr/local/bin/node', '/opt/berth/bin/berth.js', ...args),
    join: async (args) => {
      await exec(
        'systemd-run',
        '--unit=berth-join',
        '--description=berth join: the kubelet',
        // Pods keep running when the kubelet restarts; their cgroups are the runtime's.
        '--property=KillMode=process',
        '--property=Delegate=yes',
        '/usr/local/bin/node',
        '/opt/berth/bin/berth.js',
        'join',
        ...args,
      );
    },
    journal: async (unit) => exec('journalctl', '--no-pager', '-o', 'cat', '-u', unit).catch((error: Error) => `journalctl -u ${unit} failed: ${error.message}`),
    remove: async () => {
      await dockerd.docker(['rm', '--force', '--volumes', name]);
    },
  };
  try {
    // systemd is up once it answers; "degraded" is still up (a unit of the image failed).
    await eventually(async () => (/^(running|degraded)$/.test((await exec('sh', '-c', 'systemctl is-system-running || true')).trim()) ? true : undefined), 1_000);
    node.ip = (await dockerd.docker(['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name])).trim();
    if (options.runtimeCgroupDriver) {
      await exec('sh', '-c', `mkdir -p /etc/berth && printf '{"cgroupDriver": "%s"}\\n' ${options.runtimeCgroupDriver} >/etc/berth/runtime.json && systemctl restart berth-runtime.service`);
    }
    return node;
  } catch (error) {
    await node.remove().catch(() => undefined);
    throw error;
  }
}
