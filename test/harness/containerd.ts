// Debian's containerd 1.6 with its CRI plugin, as a private instance (own root, state and socket),
// configured like berth for side-by-side runs: the same seeded registry (plain HTTP mirror), the
// same CNI plugins and conf dir, runc through the runc v2 shim. ENVIRONMENT.md: it needs
// restrict_oom_score_adj here and a sandbox image from the local registry.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from './daemon.js';

export interface Containerd {
  socket: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * `sandboxImage`: the pod sandbox image (default: the seeded registry's pause:3.9); `enter`: a
 * command prefix containerd runs under (nsenter into a mount namespace shared with a kubelet).
 */
export async function startContainerd(options: {
  registryHost: string;
  cniConfDir: string;
  cniBinDir?: string;
  sandboxImage?: string;
  enter?: string[];
}): Promise<Containerd> {
  const work = mkdtempSync(join(tmpdir(), 'berth-containerd-'));
  const socket = join(work, 'containerd.sock');
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  const config = `version = 2
root = "${join(work, 'root')}"
state = "${join(work, 'state')}"
[grpc]
  address = "${socket}"
[debug]
  level = "warn"
[${cri}]
  sandbox_image = "${options.sandboxImage ?? `${options.registryHost}/pause:3.9`}"
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
  const configPath = join(work, 'config.toml');
  writeFileSync(configPath, config);
  const [command = 'containerd', ...prefix] = [...(options.enter ?? []), 'containerd'];
  const daemon = await startDaemon({
    name: 'containerd',
    command,
    args: [...prefix, '--config', configPath],
    logPath: join(work, 'containerd.log'),
    ready: async () => access(socket).then(() => true),
    timeoutMs: 30_000,
  });
  return {
    socket,
    pid: daemon.pid,
    stop: async () => {
      await daemon.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
