// docker's system commands on berth as a user types them: `berth version`, `info`, `system df`,
// `system prune` and `attach`, the real `berth` binary against a real `berth runtime` (runc,
// conmon, overlayfs, a CNI network) with the test registry's busybox.
import { availableParallelism } from 'node:os';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { packageVersion } from '../../../common/package-version.js';
import { cliWorld } from '../../harness/cli-world.js';
import { eventually } from '../../harness/eventually.js';

const registry = inject('registryHost');
const image = `${registry}/busybox:latest`;
const world = cliWorld('cli-system', 209);
const { cli: berth, cliWithInput, runDetached } = world;

/** `berth ...` started in the background, its output collected as it comes. */
function background(...args: string[]) {
  const child = execa(process.execPath, [world.berthBin(), ...args], { ...world.options(), stdin: 'ignore', buffer: true });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  return { child, stdout: () => stdout };
}

describe('berth version', () => {
  it("prints docker version's client and server sections, the server being the runtime on the socket", async () => {
    const result = await berth('version');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Client:\n Version: +\S+\n API version: +v1 \(CRI\)\n/);
    expect(result.stdout).toContain('\nServer: berth\n Engine:\n  Version:');
    expect((await berth('version', '--format', '{{.Server.Version}}')).stdout).toBe(packageVersion());
    expect(JSON.parse((await berth('version', '--format', '{{json .}}')).stdout)).toMatchObject({ Client: { Version: packageVersion() }, Server: { Platform: { Name: 'berth' }, ApiVersion: 'v1' } });
  });

  it('still prints the client part, then fails plainly, when no runtime answers', async () => {
    const result = await execa(process.execPath, [world.berthBin(), 'version', '--runtime-endpoint', `unix://${world.work}/nothing.sock`], { reject: false, stdin: 'ignore' });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^Client:\n/);
    expect(result.stdout).not.toContain('Server:');
    expect(result.stderr).toContain('no CRI runtime answers');
  });
});

describe('berth info and system df', () => {
  it('counts running and stopped containers and the images, with the drivers and this machine', async () => {
    await runDetached('--name', 'info-running', image, 'sleep', '1000');
    const stopped = await runDetached('--name', 'info-stopped', image, 'true');
    await eventually(async () => expect((await berth('wait', stopped)).stdout).toBe('0'));

    const text = await berth('info');
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toContain('\nServer:\n Containers: 2\n  Running: 1\n  Paused: 0\n  Stopped: 1\n Images: ');
    expect(text.stdout).toContain(' Storage Driver: overlayfs\n Cgroup Driver: cgroupfs\n');
    expect(text.stdout).toContain(`\n CPUs: ${availableParallelism()}\n`);
    const info = JSON.parse((await berth('info', '--format', '{{json .}}')).stdout) as Record<string, unknown>;
    expect(info).toMatchObject({
      Containers: 2,
      ContainersRunning: 1,
      ContainersStopped: 1,
      DockerRootDir: world.berth.rootDir,
      DefaultRuntime: 'runc',
      NCPU: availableParallelism(),
      InsecureRegistries: [registry],
    });
    expect(info['Images']).toBeGreaterThanOrEqual(1);
    expect((await berth('system', 'info', '--format', '{{.ContainersRunning}}/{{.CgroupDriver}}')).stdout).toBe('1/cgroupfs');
  });

  it("shows docker's disk usage table, a volume's bytes measured", async () => {
    const filled = await berth('run', '--rm', '--log-root', `${world.work}/logs`, '-v', 'df-data:/data', image, 'dd', 'if=/dev/zero', 'of=/data/blob', 'bs=1048576', 'count=2');
    expect(filled.exitCode, filled.stderr).toBe(0);
    const table = await berth('system', 'df');
    expect(table.exitCode, table.stderr).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$/);
    expect(lines.map((line) => line.split(/ {2,}/)[0])).toEqual(['TYPE', 'Images', 'Containers', 'Local Volumes']);
    const rows = (await berth('system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}')).stdout.split('\n').map((line) => line.split('|'));
    expect(rows[1]?.slice(0, 3)).toEqual(['Containers', '2', '1']);
    // 2 MiB of blocks, unused by any container now: all of it reclaimable.
    expect(rows[2]?.slice(0, 3)).toEqual(['Local Volumes', '1', '0']);
    expect(rows[2]?.[3]).toMatch(/^2\.\d+MB$/);
    expect(rows[2]?.[4]).toMatch(/^2\.\d+MB \(100%\)$/);
    expect((await berth('volume', 'rm', 'df-data')).exitCode).toBe(0);
  });
});

describe('berth ps --filter / --format / -n / -l', () => {
  it('selects and formats containers as docker ps does', async () => {
    expect((await berth('ps', '--format', '{{.Names}} {{.State}}')).stdout).toBe('info-running running');
    expect((await berth('ps', '-f', 'status=exited', '--format', '{{.Names}}')).stdout).toBe('info-stopped');
    expect((await berth('ps', '-l', '--format', '{{.Names}}')).stdout).toBe('info-stopped');
    expect((await berth('ps', '-n', '2', '-q')).stdout.split('\n')).toHaveLength(2);
    expect((await berth('ps', '-a', '-f', 'name=info-run', '--format', '{{.Command}}')).stdout).toBe('"sleep 1000"');
    const table = (await berth('ps', '-a', '--format', 'table {{.ID}}\t{{.Names}}')).stdout.split('\n');
    expect(table[0]).toMatch(/^CONTAINER ID +NAMES$/);
    const refused = await berth('ps', '-f', 'status=paused');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('the CRI has no paused');
  });
});

describe('berth attach', () => {
  it("streams a running container's stdout and stderr apart and ends with its exit code", async () => {
    const id = await runDetached(image, 'sh', '-c', 'while [ ! -e /tmp/go ]; do echo tick; sleep 0.2; done; echo done; echo bad >&2; exit 3');
    const attach = background('attach', id);
    // Ticks prove the session is up before the container is told to finish.
    await eventually(async () => expect(attach.stdout()).toContain('tick'));
    expect((await berth('exec', id, 'touch', '/tmp/go')).exitCode).toBe(0);
    const result = await attach.child;
    expect(result.exitCode, result.stderr).toBe(3);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('done');
    expect(result.stderr).toBe('bad');
    await berth('rm', id);
  });

  it("gives the container this process's input when it was run with -i", async () => {
    const id = await runDetached('-i', image, 'sh', '-c', 'read line; echo "got:$line"');
    const result = await cliWithInput('hello\n', 'attach', id);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('got:hello');
    await berth('rm', id);
  });

  it('refuses a stopped container as docker does', async () => {
    const result = await berth('attach', 'info-stopped');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('You cannot attach to a stopped container, start it first');
  });
});

describe('berth system prune', () => {
  it('asks first, and an answer other than y keeps everything', async () => {
    const result = await cliWithInput('n\n', 'system', 'prune');
    expect(result.stdout).toContain(
      'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n\nAre you sure you want to continue? [y/N] ',
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('system prune has been cancelled');
    expect((await berth('ps', '-a')).stdout).toContain('info-stopped');
  });

  it('removes stopped containers, unused networks and with --volumes their anonymous volumes; running ones stay', async () => {
    expect((await berth('network', 'create', '--subnet', '10.244.210.0/24', 'prune-me')).exitCode).toBe(0);
    const anonymous = await runDetached('-v', '/scratch', image, 'true');
    await eventually(async () => expect((await berth('wait', anonymous)).stdout).toBe('0'));
    const volumesBefore = (await berth('volume', 'ls', '-q')).stdout.split('\n').filter(Boolean);
    expect(volumesBefore).toHaveLength(1);

    const result = await berth('system', 'prune', '-f', '--volumes');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n[0-9a-f]{64}\n\nDeleted Networks:\nprune-me\n\nDeleted Volumes:\n[0-9a-f]{64}\n\n/);
    expect(result.stdout).toMatch(/Total reclaimed space: \S+\n?$/);
    const left = (await berth('ps', '-a')).stdout.split('\n').slice(1);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/ info-running$/);
    expect((await berth('network', 'ls', '--format', '{{.Name}}')).stdout.split('\n')).not.toContain('prune-me');
    expect((await berth('volume', 'ls', '-q')).stdout).toBe('');
  });
});
