// Pod networking with the real CNI plugins in /usr/lib/cni, in namespaces pinned by the real
// unshare. Traffic goes only to the pod IPs these tests create and to 127.0.0.1. Each test has
// its own sandbox; the bridges and subnets are this file's alone and are deleted afterwards.
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { defaultNetworkConfig, ensureDefaultNetworkConfig } from '../../../cni/default-config.js';
import { CniNetwork } from '../../../cni/network.js';
import { ProcessPluginExecutor } from '../../../cni/plugin-exec.js';
import type { PodNetworkRequest, PortMapping } from '../../../cni/types.js';
import { LinuxMounter } from '../../../common/linux/mounts.js';
import { LinuxNamespacePinner, type NamespacePinPaths } from '../../../runtime/linux/namespaces.js';
import { requireRoot } from '../../harness/root.js';

requireRoot('integration');

const suffix = process.pid % 100000;
const octet = 200 + (process.pid % 20);
const bridge = `berthtest${suffix}`;
const otherBridge = `berthtso${suffix}`;
const subnet = `10.244.${octet}.0/24`;
const podIpPattern = new RegExp(`^10\\.244\\.${octet}\\.\\d+$`);

const work = mkdtempSync(join(tmpdir(), 'berth-cni-pod-'));
const confDir = join(work, 'net.d');
const ipamDir = join(work, 'ipam');
const mounter = new LinuxMounter();
const pinner = new LinuxNamespacePinner({ root: join(work, 'sandboxes'), mounter });
const executor = new ProcessPluginExecutor({ binDirs: ['/usr/lib/cni'] });
const network = new CniNetwork({ confDir, cacheDir: join(work, 'cache'), executor, logger: silentLogger() });

interface Pod {
  request: PodNetworkRequest;
  pins: NamespacePinPaths;
  netns: string;
}
const pods: Pod[] = [];
const servers: { kill(signal: NodeJS.Signals): boolean; done: Promise<unknown> }[] = [];

async function writeDefaultConfig(): Promise<void> {
  rmSync(confDir, { recursive: true, force: true });
  await ensureDefaultNetworkConfig(confDir, { bridge, subnet, ipamDataDir: ipamDir, name: `berthtest${suffix}` });
}

async function startPod(portMappings: PortMapping[] = []): Promise<Pod & { ip: string }> {
  const id = randomBytes(32).toString('hex');
  const pins = await pinner.create(join(work, 'sandboxes', id, 'ns'), { network: true, ipc: true, uts: true }, 'web');
  const netns = pins.network ?? '';
  const request = { id, netnsPath: netns, podName: 'web', namespace: 'default', uid: `uid-${id.slice(0, 8)}`, portMappings };
  const pod = { request, pins, netns };
  pods.push(pod);
  const setUp = await network.setUpPod(request);
  return { ...pod, ip: setUp.ips.v4[0] ?? '' };
}

/** An HTTP server inside the pod's netns (busybox httpd), serving one file. */
function serveInPod(pod: Pod, port: number, body: string): void {
  const www = join(work, `www-${pod.request.id.slice(0, 8)}`);
  mkdirSync(www, { recursive: true });
  writeFileSync(join(www, 'index.html'), body);
  const httpd = execa('nsenter', [`--net=${pod.netns}`, 'busybox', 'httpd', '-f', '-p', String(port), '-h', www], { reject: false });
  servers.push({ kill: (signal) => httpd.kill(signal), done: httpd.then(() => undefined) });
}

/** GETs `url`, retrying while the server inside the pod starts (bounded: 50 tries). */
async function fetchText(url: string): Promise<string> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      return await (await fetch(url, { signal: AbortSignal.timeout(2000) })).text();
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`no answer from ${url}: ${String(lastError)}`);
}

function leases(networkName: string): string[] {
  const dir = join(ipamDir, networkName);
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
}

async function natRules(): Promise<string> {
  return (await execa('iptables-save', ['-t', 'nat'])).stdout;
}

/**
 * Deletes the nat rules (and then-empty chains) that mention a sandbox id. Needed after a DEL
 * without netns: bridge 1.1.1 finds the addresses to un-masquerade inside the netns, so with
 * the netns gone its per-sandbox ipMasq chain stays behind (a plugin limitation).
 */
async function deleteNatRulesOf(id: string): Promise<void> {
  const lines = (await natRules()).split('\n').filter((l) => l.startsWith('-A ') && l.includes(id));
  const chains = new Set<string>();
  for (const line of lines) {
    const jump = / -j (CNI-[0-9a-f]+)$/.exec(line);
    if (jump?.[1]) chains.add(jump[1]);
    // iptables-save quotes its output for a shell.
    await execa('sh', ['-c', `iptables -t nat ${line.replace(/^-A /, '-D ')}`], { reject: false });
  }
  for (const chain of chains) {
    await execa('iptables', ['-t', 'nat', '-F', chain], { reject: false });
    await execa('iptables', ['-t', 'nat', '-X', chain], { reject: false });
  }
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.kill('SIGKILL');
    await server.done;
  }
  for (const pod of pods.splice(0)) {
    await network.tearDownPod(pod.request).catch(() => undefined);
    await pinner.remove(pod.pins).catch(() => undefined);
    await deleteNatRulesOf(pod.request.id);
  }
});

afterAll(async () => {
  await pinner.releaseRoot().catch(() => undefined);
  for (const name of [bridge, otherBridge]) await execa('ip', ['link', 'del', name], { reject: false });
  rmSync(work, { recursive: true, force: true });
});

describe('pod networking with the real bridge, host-local, portmap and loopback plugins', () => {
  it('brings lo up and gives eth0 an address in the subnet', async () => {
    await writeDefaultConfig();
    const pod = await startPod();
    expect(pod.ip).toMatch(podIpPattern);
    const { stdout: lo } = await execa('nsenter', [`--net=${pod.netns}`, 'ip', '-o', 'link', 'show', 'lo']);
    expect(lo).toMatch(/<LOOPBACK,UP,LOWER_UP>/);
    const { stdout: eth0 } = await execa('nsenter', [`--net=${pod.netns}`, 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
    expect(eth0).toContain(`${pod.ip}/24`);
  });

  it('serves HTTP from inside the pod at the pod IP', async () => {
    await writeDefaultConfig();
    const pod = await startPod();
    serveInPod(pod, 8080, 'hello from the pod\n');
    expect(await fetchText(`http://${pod.ip}:8080/`)).toBe('hello from the pod\n');
  });

  it('forwards a hostPort on 127.0.0.1 to the pod', async () => {
    await writeDefaultConfig();
    const hostPort = 30000 + (process.pid % 2000);
    const pod = await startPod([{ hostPort, containerPort: 8081, protocol: 'tcp' }]);
    serveInPod(pod, 8081, 'hello through the host port\n');
    expect(await fetchText(`http://127.0.0.1:${hostPort}/`)).toBe('hello through the host port\n');
  });

  it('DEL releases the address, removes the veth and the pod iptables rules', async () => {
    await writeDefaultConfig();
    const pod = await startPod([{ hostPort: 32000 + (process.pid % 2000), containerPort: 80, protocol: 'tcp' }]);
    const networkName = `berthtest${suffix}`;
    expect(leases(networkName)).toContain(pod.ip);
    const { stdout: before } = await execa('ip', ['-o', 'link', 'show', 'master', bridge]);
    expect(before.trim().split('\n')).toHaveLength(1);
    expect(await natRules()).toContain(pod.request.id);

    await network.tearDownPod(pod.request);
    expect(leases(networkName)).not.toContain(pod.ip);
    expect((await execa('ip', ['-o', 'link', 'show', 'master', bridge])).stdout.trim()).toBe('');
    expect(await natRules()).not.toContain(pod.request.id);
  });

  it('DEL twice succeeds, also after the netns is gone', async () => {
    await writeDefaultConfig();
    const pod = await startPod();
    await network.tearDownPod(pod.request);
    await pinner.remove(pod.pins);
    await expect(network.tearDownPod(pod.request)).resolves.toBeUndefined();
  });

  it('releases the address when the netns was removed before teardown', async () => {
    await writeDefaultConfig();
    const pod = await startPod();
    await pinner.remove(pod.pins);
    try {
      await network.tearDownPod(pod.request);
      expect(leases(`berthtest${suffix}`)).not.toContain(pod.ip);
    } finally {
      await deleteNatRulesOf(pod.request.id);
    }
  });

  it('tears down with the cached config after the conf dir changed', async () => {
    await writeDefaultConfig();
    const pod = await startPod();
    rmSync(confDir, { recursive: true, force: true });
    mkdirSync(confDir);
    const other = defaultNetworkConfig({ bridge: otherBridge, subnet: `10.244.${octet + 20}.0/24`, ipamDataDir: ipamDir, name: 'berthtest-other' });
    writeFileSync(join(confDir, '05-other.conflist'), JSON.stringify(other));

    await network.tearDownPod(pod.request);
    expect(leases(`berthtest${suffix}`)).not.toContain(pod.ip);
    expect((await execa('ip', ['-o', 'link', 'show', 'master', bridge])).stdout.trim()).toBe('');
  });

  it('reports ready with the real plugins installed', async () => {
    await writeDefaultConfig();
    expect(await network.status()).toEqual({ ready: true, source: join(confDir, '10-berth.conflist') });
  });
});

describe('the plugin adapter (real binaries)', () => {
  it('runs VERSION and reads the supported versions', async () => {
    const stdout = await executor.execute({ pluginType: 'bridge', command: 'VERSION', env: { CNI_COMMAND: 'VERSION' }, stdin: { cniVersion: '1.0.0' } });
    expect(JSON.parse(stdout).supportedVersions).toContain('1.0.0');
  });

  it('names the plugin and the dirs searched when a plugin is missing', async () => {
    await expect(executor.find('no-such-plugin')).rejects.toThrow('CNI plugin "no-such-plugin" not found in /usr/lib/cni');
  });

  it('maps the plugin error JSON to a typed error', async () => {
    const invocation = {
      pluginType: 'bridge',
      command: 'ADD' as const,
      env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'x1', CNI_NETNS: join(work, 'no-netns'), CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' },
      stdin: { cniVersion: '1.0.0', name: 'bad', type: 'bridge', bridge, ipam: {} },
    };
    const error = await executor.execute(invocation).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: expect.stringMatching(/Error$/) });
    expect(String((error as Error).message)).toMatch(/^CNI plugin "bridge" ADD for sandbox x1 failed: .+\[CNI error code \d+\]/);
  });
});
