// docker's user networks on berth as a user types them: the real `berth` binary against a real
// `berth runtime` (runc, conmon, the CNI bridge, host-local and portmap plugins) through
// berth.v1.Networks. A user network is a CNI bridge network of its own; its containers reach each
// other by name through the /etc/hosts berth keeps for each of them.
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { cliWorld } from '../../harness/cli-world.js';
import { eventually } from '../../harness/eventually.js';

const registry = inject('registryHost');
const image = `${registry}/busybox:latest`;
// The file's default network is 10.244.191.0/24; its user network takes 10.244.192.0/24.
const world = cliWorld('cli-networks', 191);
const { cli: berth, runDetached } = world;
const userSubnet = '10.244.192.0/24';
const runRm = (...args: string[]) => berth('run', '--rm', '--log-root', join(world.work, 'logs'), ...args);
const hostsOf = async (name: string) => (await berth('exec', name, 'cat', '/etc/hosts')).stdout;
let bridge = '';

describe('berth network ls / create / inspect', () => {
  it("lists docker's predefined networks in docker's table", async () => {
    const result = await berth('network', 'ls');
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^NETWORK ID {5}NAME {6}DRIVER {4}SCOPE$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(1).join(' '))).toEqual(['bridge bridge local', 'host host local', 'none null local']);
  });

  it('creates a network with its own subnet, prints its id, and shows it in ls and inspect', async () => {
    const created = await berth('network', 'create', '--subnet', userSubnet, '--label', 'tier=back', 'backend');
    expect(created.exitCode, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^[a-f0-9]{64}$/);
    bridge = `br-${created.stdout.slice(0, 12)}`;
    expect((await berth('network', 'ls', '--format', '{{.Name}} {{.Driver}}')).stdout.split('\n')).toContain('backend bridge');
    expect((await berth('network', 'ls', '-q', '--no-trunc')).stdout.split('\n')).toContain(created.stdout);
    const [inspected] = JSON.parse((await berth('network', 'inspect', 'backend')).stdout) as Record<string, unknown>[];
    expect(inspected).toMatchObject({
      Name: 'backend',
      ID: created.stdout,
      Driver: 'bridge',
      Scope: 'local',
      Labels: { tier: 'back' },
      IPAM: { Driver: 'default', Config: [{ Subnet: userSubnet, Gateway: '10.244.192.1' }] },
    });
  });
});

describe('berth run --network NAME', () => {
  it("puts the container on the network's subnet and bridge", async () => {
    await runDetached('--name', 'api', '--network', 'backend', image, 'sh', '-c', 'echo hi-from-api > /tmp/index.html && exec httpd -f -p 8080 -h /tmp');
    const address = (await berth('exec', 'api', 'ip', '-4', '-o', 'addr', 'show', 'eth0')).stdout;
    expect(address).toMatch(/inet 10\.244\.192\.\d+\/24/);
    const link = await execa('ip', ['-o', 'link', 'show', bridge], { reject: false });
    expect(link.exitCode, link.stderr).toBe(0);
  });

  it('lets a container reach another on the same network by its name', async () => {
    const fetched = await eventually(async () => {
      const result = await runRm('--network', 'backend', image, 'wget', '-qO-', 'http://api:8080/index.html');
      return result.exitCode === 0 ? result.stdout : undefined;
    });
    expect(fetched).toBe('hi-from-api');
  });

  it("adds a container that joins to the others' /etc/hosts, and takes it out when it is removed", async () => {
    await runDetached('--name', 'worker', '--network', 'backend', image, 'sleep', '300');
    const workerIp = (await berth('exec', 'worker', 'sh', '-c', "ip -4 -o addr show eth0 | sed 's/.*inet \\([0-9.]*\\).*/\\1/'")).stdout;
    expect(workerIp).toMatch(/^10\.244\.192\.\d+$/);
    expect(await hostsOf('api')).toMatch(new RegExp(`^${workerIp.replace(/\./g, '\\.')}\\tworker\\b`, 'm'));
    expect(await hostsOf('worker')).toMatch(/\tapi\b/);
    expect((await berth('rm', '-f', 'worker')).exitCode).toBe(0);
    expect(await hostsOf('api')).not.toMatch(/\tworker\b/);
  });

  it('does not resolve the names of a network for a container on the default network', async () => {
    const result = await runRm(image, 'wget', '-qO-', '-T', '2', 'http://api:8080/index.html');
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe('');
  });

  it('gives a container on --network none loopback only', async () => {
    const result = await runRm('--network', 'none', image, 'sh', '-c', 'ls /sys/class/net');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('lo');
  });
});

describe('berth network rm', () => {
  it('refuses to remove a network a container is on, then removes it and its bridge', async () => {
    const refused = await berth('network', 'rm', 'backend');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/network backend id [a-f0-9]{64} has active endpoints/);
    expect((await berth('rm', '-f', 'api')).exitCode).toBe(0);
    const removed = await berth('network', 'rm', 'backend');
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stdout).toBe('backend');
    expect((await berth('network', 'ls', '--format', '{{.Name}}')).stdout.split('\n')).not.toContain('backend');
    expect((await execa('ip', ['link', 'show', bridge], { reject: false })).exitCode).not.toBe(0);
  });
});

describe('hostile network input', () => {
  const cases: [string, string[], RegExp][] = [
    ['a name that is a path', ['network', 'create', '../../etc'], /network name "..\/..\/etc" includes invalid characters/],
    ['a predefined name', ['network', 'create', 'bridge'], /bridge already exists: it is a pre-defined network/],
    ['a subnet with host bits', ['network', 'create', '--subnet', '10.244.192.5/24', 'bits'], /host bits set; the network is 10\.244\.192\.0\/24/],
    ['a subnet that is no subnet', ['network', 'create', '--subnet', '10.244.192.0', 'nomask'], /use an IPv4 network as A\.B\.C\.D\/PREFIX/],
    ['a gateway outside the subnet', ['network', 'create', '--subnet', userSubnet, '--gateway', '10.0.0.1', 'gw'], /--gateway "10\.0\.0\.1" is not a host address of 10\.244\.192\.0\/24/],
    ['a driver berth lacks', ['network', 'create', '-d', 'overlay', 'ovl'], /berth makes bridge networks only/],
    ['removing a predefined network', ['network', 'rm', 'host'], /host is a pre-defined network and cannot be removed/],
    ['removing a network that is not there', ['network', 'rm', 'never-made'], /network never-made not found/],
  ];
  it.each(cases)('refuses %s', async (_, args, message) => {
    const before = (await berth('network', 'ls', '-q')).stdout;
    const result = await berth(...args);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(message);
    expect((await berth('network', 'ls', '-q')).stdout).toBe(before);
  });

  it('refuses a subnet that overlaps another network', async () => {
    expect((await berth('network', 'create', '--subnet', userSubnet, 'first')).exitCode).toBe(0);
    const result = await berth('network', 'create', '--subnet', '10.244.192.128/25', 'second');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/overlaps network first \(10\.244\.192\.0\/24\)/);
    expect((await berth('network', 'rm', 'first')).exitCode).toBe(0);
  });

  it('refuses to run on a network that does not exist, leaving no pod behind', async () => {
    const result = await runRm('--network', 'nowhere', image, 'true');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/network nowhere not found/);
    expect((await world.berth.crictl('pods', '-q')).trim()).toBe('');
  });
});
