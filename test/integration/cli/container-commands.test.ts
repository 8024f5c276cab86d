import { describe, expect, inject, it } from 'vitest';
import { cliWorld } from '../../harness/cli-world.js';
import { eventually } from '../../harness/eventually.js';
import { freePort } from '../../harness/ports.js';

const registry = inject('registryHost');
const image = `${registry}/busybox:latest`;
const world = cliWorld('clicmd', 135);
const { cli: berthCli, cliWithInput: berthCliWithInput, runDetached } = world;
const containerIds = async (name: string) => (await world.berth.crictl('ps', '-a', '--label', `berth.dev/cli-name=${name}`, '-q')).split('\n').filter(Boolean);

describe('berth wait', () => {
  it("blocks until each container exits and prints each one's exit code", async () => {
    await runDetached('--name', 'waited', image, 'sh', '-c', 'sleep 1; exit 7');
    await runDetached('--name', 'waited-too', image, 'sh', '-c', 'exit 3');
    const result = await berthCli('wait', 'waited', 'waited-too');
    expect(result.stdout, result.stderr).toBe('7\n3');
    expect(result.exitCode).toBe(0);
  });
});

describe('berth restart and start', () => {
  it('restart runs the container again from the same config, as a new container in the same pod', async () => {
    // The environment too: the recorded config's values went through JSON on the way.
    const first = await runDetached('--name', 'again', '-e', 'RUN_AS=kept', image, 'sh', '-c', 'echo ran $RUN_AS; exec sleep 300');
    const pod = (await world.berth.crictl('pods', '--name', 'again', '-q')).trim();
    const result = await berthCli('restart', '-t', '0', 'again');
    expect(result.stdout, result.stderr).toBe('again');
    const ids = await containerIds('again');
    expect(ids).toHaveLength(1);
    expect(first.startsWith(ids[0] ?? '-')).toBe(false);
    expect((await world.berth.crictl('pods', '--name', 'again', '-q')).trim()).toBe(pod);
    expect((await berthCli('ps')).stdout).toMatch(/Up .+\s+again$/m);
    await eventually(async () => ((await berthCli('logs', 'again')).stdout === 'ran kept\nran kept' ? true : undefined));
  });

  it('start runs a stopped container again, in a new pod as stop took its pod down', async () => {
    expect((await berthCli('stop', '-t', '0', 'again')).exitCode).toBe(0);
    const result = await berthCli('start', 'again');
    expect(result.stdout, result.stderr).toBe('again');
    expect((await berthCli('ps')).stdout).toMatch(/Up .+\s+again$/m);
    expect(await containerIds('again')).toHaveLength(1);
    expect((await world.berth.crictl('pods', '--name', 'again', '-q')).split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('start of a running container changes nothing', async () => {
    const before = await containerIds('again');
    expect((await berthCli('start', 'again')).stdout).toBe('again');
    expect(await containerIds('again')).toEqual(before);
  });
});

describe('berth top', () => {
  it("lists the container's processes with ps run inside it", async () => {
    const result = await berthCli('top', 'again');
    expect(result.exitCode, result.stderr).toBe(0);
    // busybox's ps: its own columns, whatever -ef asks for.
    expect(result.stdout).toMatch(/^PID\s+USER\s.*COMMAND$/m);
    expect(result.stdout).toMatch(/^1\s+root\s.*sleep 300$/m);
  });

  it('reads /proc in the container where there is no ps to run', async () => {
    await runDetached('--name', 'no-ps', '-e', 'PATH=/nowhere', image, '/bin/sleep', '300');
    const result = await berthCli('top', 'no-ps');
    expect(result.stdout, result.stderr).toMatch(/^PID\s+PPID\s+STAT\s+CMD\n1\s+0\s+S\s+\/bin\/sleep 300\n/);
    expect((await berthCli('rm', '-f', 'no-ps')).exitCode).toBe(0);
  });

  it('passes ps options through', async () => {
    const result = await berthCli('top', 'again', '-o', 'pid,args');
    expect(result.stdout, result.stderr).toMatch(/^PID\s+COMMAND\n1\s+sleep 300\n/);
  });
});

describe('berth stats', () => {
  it("--no-stream prints docker's columns once, with CPU and memory filled", async () => {
    const result = await berthCli('stats', '--no-stream', 'again');
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    expect(lines[1]).toMatch(/^[0-9a-f]{12}\s+again\s+\d+\.\d\d%\s+[\d.]+[KMG]?i?B \/ [\d.]+[KMGT]iB\s+\d+\.\d\d%\s+--\s+--\s+--$/);
    expect(lines).toHaveLength(2);
  });

  it('shows the memory limit that run -m set, and whole IDs with --no-trunc', async () => {
    const id = await runDetached('--name', 'limited', '-m', '64m', image, 'sleep', '300');
    const result = await berthCli('stats', '--no-stream', '--no-trunc', 'limited');
    expect(result.stdout, result.stderr).toMatch(new RegExp(`^${id}\\s+limited\\s+\\S+\\s+\\S+ / 64MiB\\s`, 'm'));
    expect((await berthCli('rm', '-f', 'limited')).exitCode).toBe(0);
  });

  it('without --no-stream redraws every second until Ctrl-C', async () => {
    const child = berthCli('stats', 'again');
    await new Promise((resolve) => setTimeout(resolve, 3500));
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\x1b[2J\x1b[H').filter((screen) => /\sagain\s/.test(screen)).length).toBeGreaterThanOrEqual(2);
  });

  it('-a includes exited containers', async () => {
    expect((await berthCli('stats', '--no-stream')).stdout).not.toMatch(/\swaited\s/);
    expect((await berthCli('stats', '--no-stream', '-a')).stdout).toMatch(/\swaited\s/);
  });
});

describe('berth port', () => {
  it("prints the pod's published ports as docker does", async () => {
    const port = await freePort();
    await runDetached('--name', 'served', '-p', `127.0.0.1:${port}:80`, image, 'sleep', '300');
    expect((await berthCli('port', 'served')).stdout).toBe(`80/tcp -> 127.0.0.1:${port}`);
    expect((await berthCli('port', 'served', '80/tcp')).stdout).toBe(`127.0.0.1:${port}`);
    const missing = await berthCli('port', 'served', '81');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain("No public port '81/tcp' published for served");
    expect((await berthCli('port', 'again')).stdout).toBe('');
  });
});

describe('berth container prune', () => {
  it('asks first and removes nothing unless told yes', async () => {
    const result = await berthCliWithInput('n\n', 'container', 'prune');
    expect(result.stdout).toContain('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N]');
    expect(result.exitCode).toBe(1);
    expect(await containerIds('waited')).toHaveLength(1);
  });

  it("with -f removes the CLI's stopped containers and their pods, and leaves running ones", async () => {
    const waited = (await berthCli('inspect', 'waited')).stdout;
    const id = (JSON.parse(waited) as { status: { id: string } }[])[0]?.status.id ?? '';
    const result = await berthCli('container', 'prune', '-f');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Deleted Containers:\n([0-9a-f]{64}\n){2}\nTotal reclaimed space: \d+(\.\d+)?k?B$/);
    expect(result.stdout).toContain(id);
    expect(await containerIds('waited')).toEqual([]);
    expect(await world.berth.crictl('pods', '--name', 'waited', '-q')).toBe('');
    expect(await containerIds('again')).toHaveLength(1);
    const nothing = await berthCliWithInput('y\n', 'container', 'prune');
    expect(nothing.stdout, nothing.stderr).toMatch(/\[y\/N\] Total reclaimed space: 0B$/);
  });
});
