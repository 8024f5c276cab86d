// TEST-WORLD PLUMBING: a private dockerd for the kind tests (kind's provider is docker). It runs
// Debian's dockerd with its own data root, exec root and socket, so nothing of a system docker is
// touched, and with kind/bounding-set-runc.sh as its default OCI runtime (why: that file's
// comment). Networking is kept off the host's firewall: --iptables=false and --ip-masq=false mean
// dockerd adds no chains, no FORWARD policy change and no br_netfilter, so the other tiers' pod
// networking behaves the same before, during and after a kind run; --bridge=none makes no docker0.
// Containers' cgroups go below this process's own (--cgroup-parent), as every test's must.
// stop() removes every container and network, stops dockerd (which stops its containerd), checks
// that no DOCKER* iptables chain appeared, unmounts what is left under its dirs and removes them.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDaemon } from './daemon.js';
import { removeCgroupPath } from '../../bench/cgroups.js';
import { ownCgroups } from './leak-sweep.js';

const run = promisify(execFile);

export interface TestDockerd {
  /** DOCKER_HOST value for the docker CLI and kind. */
  host: string;
  /** Environment for child processes (docker, kind) that must talk to this dockerd. */
  env: NodeJS.ProcessEnv;
  logPath: string;
  docker(args: string[], options?: { timeoutMs?: number }): Promise<string>;
  stop(): Promise<void>;
}

const cgroupParentName = 'berth-kind-docker';
const runtimeName = 'berth-bounding-set-runc';

export async function startTestDockerd(options: { bridgeSubnet: string }): Promise<TestDockerd> {
  const dir = mkdtempSync('/tmp/berth-kind-docker-');
  const socket = join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  const env = { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: join(dir, 'client') };
  const since = Date.now();
  const cgroupParent = join(ownCgroups().get('memory') ?? '/', cgroupParentName);
  const runtime = new URL('./kind/bounding-set-runc.sh', import.meta.url).pathname;
  const daemon = await startDaemon({
    name: 'dockerd',
    command: 'dockerd',
    args: [
      `--data-root=${join(dir, 'data')}`,
      `--exec-root=${join(dir, 'exec')}`,
      `--pidfile=${join(dir, 'dockerd.pid')}`,
      `-H`,
      host,
      '--iptables=false',
      '--ip-masq=false',
      '--ip6tables=false',
      '--bridge=none',
      `--default-address-pool=base=${options.bridgeSubnet},size=24`,
      `--cgroup-parent=${cgroupParent}`,
      `--add-runtime=${runtimeName}=${runtime}`,
      `--default-runtime=${runtimeName}`,
      '--storage-driver=overlay2',
    ],
    logPath: join(dir, 'dockerd.log'),
    ready: async () => {
      await access(socket);
      await run('docker', ['version', '--format', '{{.Server.Version}}'], { env, timeout: 5_000 });
      return true;
    },
    timeoutMs: 60_000,
  });
  const docker = async (args: string[], opts: { timeoutMs?: number } = {}): Promise<string> => {
    const { stdout } = await run('docker', args, { env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20 });
    return stdout;
  };
  return {
    host,
    env,
    logPath: daemon.logPath,
    docker,
    stop: async () => {
      const problems: string[] = [];
      const ids = (await docker(['ps', '-aq']).catch(() => '')).split('\n').filter(Boolean);
      if (ids.length > 0) await docker(['rm', '-f', '-v', ...ids]).catch((e: Error) => problems.push(e.message));
      await docker(['network', 'prune', '-f']).catch((e: Error) => problems.push(e.message));
      await daemon.stop();
      problems.push(...(await unmountBelow(dir)));
      removeCgroupPath(cgroupParent, since);
      const chains = await dockerChains();
      if (chains.length > 0) problems.push(`dockerd left iptables chains: ${chains.join(', ')}`);
      rmSync(dir, { recursive: true, force: true });
      if (problems.length > 0) throw new Error(`test dockerd teardown: ${problems.join('; ')}`);
    },
  };
}

/** Mount points under dir (overlay layers, netns files, shm), deepest first, lazily unmounted. */
async function unmountBelow(dir: string): Promise<string[]> {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  const problems: string[] = [];
  for (const point of points) {
    await run('umount', ['-l', point]).catch((e: Error) => problems.push(`umount ${point}: ${e.message}`));
  }
  return problems;
}

async function dockerChains(): Promise<string[]> {
  const chains: string[] = [];
  for (const table of ['filter', 'nat']) {
    const { stdout } = await run('iptables-save', ['-t', table]);
    for (const line of stdout.split('\n')) if (/^:DOCKER/.test(line)) chains.push(`${table}/${line.slice(1).split(' ')[0]}`);
  }
  return chains;
}
