// containerd with its CRI plugin as a private instance (own root, state and socket), configured
// like berth for side-by-side runs: the same seeded registry (plain HTTP), the same CNI plugins and
// conf dir, the same runc through the runc v2 shim. Two releases: Debian's 1.6 (config version 2,
// `containerd` on PATH) and the pinned 2.x built by setup/go-tools.sh (config version 3, its own
// shim named by path so Debian's shim on PATH is never picked). ENVIRONMENT.md: both need
// restrict_oom_score_adj here and a sandbox image from the local registry.
//
// stop() leaves the machine clean whatever happened before it: a daemon that died is started
// again on the same root so it can remove its own pods (it reconnects to its shims), then it is
// stopped, leftover shims are killed, everything mounted under its directory is unmounted, and
// only then is the directory removed (a still-mounted sandbox shm made rmSync fail with EBUSY).
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { access, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriClient } from '../../cri/client/cri-client.js';
import { startDaemon, type Daemon } from './daemon.js';
import { goTool, pinned } from './tools.js';
import { unmountUnder } from './unmount-under.js';

export type ContainerdRelease = '1.6' | '2';

export interface Containerd {
  release: ContainerdRelease;
  socket: string;
  /** The first daemon's pid (a daemon restarted by stop() to clean up gets another). */
  pid: number;
  workDir: string;
  logPath: string;
  /** Why the daemon exited before stop() asked it to, if it did. */
  diedBecause(): string | undefined;
  stop(): Promise<void>;
}

export interface ContainerdOptions {
  registryHost: string;
  cniConfDir: string;
  cniBinDir?: string;
  /** Debian's 1.6 unless asked for the pinned 2.x. */
  release?: ContainerdRelease;
  /** The pod sandbox image (default: the seeded registry's pause:3.9). */
  sandboxImage?: string;
  /** A command prefix containerd runs under (nsenter into a mount namespace shared with a kubelet). */
  enter?: string[];
}

function sandboxImage(options: ContainerdOptions): string {
  return options.sandboxImage ?? `${options.registryHost}/pause:3.9`;
}

/** The pinned 2.x binaries (setup/go-tools.sh puts them in their own directory). */
export function containerd2Binaries(): { containerd: string; shim: string } {
  const dir = `containerd-${pinned['CONTAINERD_VERSION'] ?? ''}`;
  return { containerd: goTool(`${dir}/containerd`), shim: goTool(`${dir}/containerd-shim-runc-v2`) };
}

/** The daemon's own settings, the same in both config versions: a private root, state and socket. */
function daemonSection(work: string, socket: string): string {
  return `root = "${join(work, 'root')}"
state = "${join(work, 'state')}"
[grpc]
  address = "${socket}"
[debug]
  level = "warn"`;
}

function config16(work: string, socket: string, options: ContainerdOptions): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
${daemonSection(work, socket)}
[${cri}]
  sandbox_image = "${sandboxImage(options)}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [${cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [${cri}.cni]
    bin_dir = "${options.cniBinDir ?? '/usr/lib/cni'}"
    conf_dir = "${options.cniConfDir}"
  [${cri}.registry.mirrors."${options.registryHost}"]
    endpoint = ["http://${options.registryHost}"]
`;
}

// 2.x splits the CRI plugin (images, runtime, server) and pulls through the transfer service,
// which reads registries only from hosts.toml files (config_path), never the deprecated mirrors.
function config2(work: string, socket: string, options: ContainerdOptions, shim: string, runc: string): string {
  const certsDir = join(work, 'certs.d');
  mkdirSync(join(certsDir, options.registryHost), { recursive: true });
  writeFileSync(
    join(certsDir, options.registryHost, 'hosts.toml'),
    `server = "http://${options.registryHost}"\n[host."http://${options.registryHost}"]\n  capabilities = ["pull", "resolve", "push"]\n`,
  );
  const images = 'plugins."io.containerd.cri.v1.images"';
  const runtime = 'plugins."io.containerd.cri.v1.runtime"';
  return `version = 3
${daemonSection(work, socket)}
[${images}]
  snapshotter = "overlayfs"
  [${images}.pinned_images]
    sandbox = "${sandboxImage(options)}"
  [${images}.registry]
    config_path = "${certsDir}"
[${runtime}]
  restrict_oom_score_adj = true
  # The netns pins live under state/, so a cleanup after a crash finds them with the other mounts.
  netns_mounts_under_state_dir = true
  [${runtime}.containerd]
    default_runtime_name = "runc"
    [${runtime}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      runtime_path = "${shim}"
      [${runtime}.containerd.runtimes.runc.options]
        BinaryName = "${runc}"
  [${runtime}.cni]
    bin_dirs = ["${options.cniBinDir ?? '/usr/lib/cni'}"]
    conf_dir = "${options.cniConfDir}"
[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
`;
}

/** Stops and removes every sandbox the instance holds (its containers go with them). */
async function removeAllPods(socket: string): Promise<void> {
  const client = new CriClient({ endpoint: socket, timeoutMs: 60_000 });
  try {
    const sandboxes = (await client.listPodSandbox()).items;
    for (const sandbox of sandboxes) {
      await client.stopPodSandbox(sandbox.id).catch(() => undefined);
      await client.removePodSandbox(sandbox.id).catch(() => undefined);
    }
  } finally {
    client.close();
  }
}

/** Processes whose command line names this instance's directory (its shims: `-address <socket>`), and their descendants (the pause and workload processes a shim reaps). */
function processTreesNaming(dir: string): number[] {
  const parentOf = new Map<number, number>();
  const roots: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      // The parent pid is the 4th field after the parenthesised command name.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(dir)) roots.push(Number(name));
    } catch {
      // Exited while we looked.
    }
  }
  const found = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parentOf) {
      if (!found.has(pid) && found.has(parent)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found];
}

/**
 * What the runc shims of a dead instance leave when the daemon cannot remove its pods: runc
 * containers (ids = the task directories under state/) in runc's default root for the k8s.io
 * namespace, force-deleted so runc kills them and removes their cgroups.
 */
async function deleteRuncContainers(work: string, runc: string): Promise<void> {
  const tasks = join(work, 'state', 'io.containerd.runtime.v2.task', 'k8s.io');
  let ids: string[] = [];
  try {
    ids = readdirSync(tasks);
  } catch {
    return;
  }
  for (const id of ids) await execa(runc, ['--root', '/run/containerd/runc/k8s.io', 'delete', '--force', id], { reject: false, timeout: 30_000 });
}

export async function startContainerd(options: ContainerdOptions): Promise<Containerd> {
  const release = options.release ?? '1.6';
  const work = mkdtempSync(join(tmpdir(), `berth-containerd-${release}-`));
  const socket = join(work, 'containerd.sock');
  let command = 'containerd';
  let config: string;
  const runc = (await execa('sh', ['-c', 'command -v runc'])).stdout.trim();
  if (release === '2') {
    const binaries = containerd2Binaries();
    command = binaries.containerd;
    config = config2(work, socket, options, binaries.shim, runc);
  } else {
    config = config16(work, socket, options);
  }
  const configPath = join(work, 'config.toml');
  writeFileSync(configPath, config);
  const logPath = join(work, 'containerd.log');
  const [program = command, ...prefix] = [...(options.enter ?? []), command];
  const start = (): Promise<Daemon> =>
    startDaemon({
      name: `containerd ${release}`,
      command: program,
      args: [...prefix, '--config', configPath],
      logPath,
      ready: async () => access(socket).then(() => true),
      timeoutMs: 30_000,
    });
  let daemon = await start();
  const firstPid = daemon.pid;
  let firstDeath: string | undefined;
  return {
    release,
    socket,
    pid: firstPid,
    workDir: work,
    logPath,
    diedBecause: () => firstDeath ?? daemon.exitedBecause(),
    stop: async () => {
      const errors: string[] = [];
      firstDeath = daemon.exitedBecause();
      if (firstDeath !== undefined) {
        // Its shims and pods outlive it; a fresh daemon on the same root finds them again.
        await rm(socket, { force: true });
        daemon = await start().catch((error: unknown) => {
          errors.push(`restarting it to clean up failed: ${error instanceof Error ? error.message : String(error)}`);
          return daemon;
        });
      }
      if (daemon.exitedBecause() === undefined) await removeAllPods(socket).catch((error: unknown) => errors.push(`removing its pods: ${String(error)}`));
      await daemon.stop();
      const survivors = processTreesNaming(work);
      if (survivors.length > 0) await deleteRuncContainers(work, runc);
      for (const pid of processTreesNaming(work)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await unmountUnder(work);
      try {
        rmSync(work, { recursive: true, force: true });
      } catch (error) {
        errors.push(`removing ${work}: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (errors.length > 0) throw new Error(`containerd ${release} cleanup: ${errors.join('; ')}`);
    },
  };
}
