import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { abortedError } from '../../../common/abort.js';
import { DeadlineExceededError, FailedPreconditionError, InternalError } from '../../../common/errors.js';
import { silentLogger } from '../../../common/logger.js';
import { CniNetwork } from '../../../cni/network.js';
import type { PluginExecutor, PluginInvocation } from '../../../cni/plugin-exec.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const request = {
  id: 'sb1',
  netnsPath: '/nonexistent/net',
  podName: 'web',
  namespace: 'default',
  uid: 'u-1',
  portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' as const }],
};

function conflist(name: string, types: string[]): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name,
    plugins: types.map((type) => ({ type, ...(type === 'portmap' ? { capabilities: { portMappings: true } } : {}) })),
  });
}

/** Records invocations; ADD answers with a result naming the plugin; `fail` picks calls that throw. */
function recorder(fail: (call: PluginInvocation) => boolean = () => false, installed = ['loopback', 'bridge', 'portmap', 'ptp']) {
  const calls: PluginInvocation[] = [];
  const executor: PluginExecutor = {
    binDirs: ['/opt/cni/bin'],
    async find(type) {
      if (!installed.includes(type)) throw new FailedPreconditionError(`CNI plugin "${type}" not found in /opt/cni/bin`);
      return `/opt/cni/bin/${type}`;
    },
    async execute(call) {
      calls.push(call);
      if (fail(call)) throw new InternalError(`${call.pluginType} ${call.command} failed`);
      if (call.command !== 'ADD') return '';
      const address = call.env.CNI_IFNAME === 'lo' ? '127.0.0.1/8' : '10.85.0.5/16';
      return JSON.stringify({
        cniVersion: '1.0.0',
        by: call.pluginType,
        interfaces: [{ name: 'berth0' }, { name: call.env.CNI_IFNAME, sandbox: call.env.CNI_NETNS }],
        ips: [{ address, interface: 1 }],
      });
    },
  };
  const summary = (): string[] => calls.map((c) => `${c.command} ${c.pluginType} ${c.env.CNI_IFNAME}`);
  return { calls, executor, summary };
}

function setup(confFiles: Record<string, string>, rec = recorder()) {
  const root = mkdtempSync(join(tmpdir(), 'berth-cni-net-'));
  dirs.push(root);
  const confDir = join(root, 'net.d');
  const cacheDir = join(root, 'cache');
  mkdirSync(confDir);
  for (const [name, text] of Object.entries(confFiles)) writeFileSync(join(confDir, name), text);
  const network = new CniNetwork({ confDir, cacheDir, executor: rec.executor, logger: silentLogger() });
  return { ...rec, confDir, cacheDir, network };
}

describe('setting up a pod network', () => {
  it('runs loopback on lo, then the chain on eth0', async () => {
    const t = setup({ '10-net.conflist': conflist('net', ['bridge', 'portmap']) });
    await t.network.setUpPod(request);
    expect(t.summary()).toEqual(['ADD loopback lo', 'ADD bridge eth0', 'ADD portmap eth0']);
  });

  it('hands each plugin the previous result and only portmap the port mappings', async () => {
    const t = setup({ '10-net.conflist': conflist('net', ['bridge', 'portmap']) });
    await t.network.setUpPod(request);
    const [, bridge, portmap] = t.calls;
    expect(bridge?.stdin).not.toHaveProperty('prevResult');
    expect(bridge?.stdin).not.toHaveProperty('runtimeConfig');
    expect(portmap?.stdin.prevResult).toMatchObject({ by: 'bridge' });
    expect(portmap?.stdin.runtimeConfig).toEqual({ portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
  });

  it('returns the pod addresses of the final result', async () => {
    const t = setup({ '10-net.conflist': conflist('net', ['bridge', 'portmap']) });
    const setUp = await t.network.setUpPod(request);
    expect(setUp.ips).toEqual({ v4: ['10.85.0.5'], v6: [] });
    expect(setUp.result).toMatchObject({ by: 'portmap' });
  });

  it('DELs what it added and rethrows when a plugin fails', async () => {
    const t = setup(
      { '10-net.conflist': conflist('net', ['bridge', 'portmap']) },
      recorder((c) => c.command === 'ADD' && c.pluginType === 'portmap'),
    );
    await expect(t.network.setUpPod(request)).rejects.toThrow('portmap ADD failed');
    expect(t.summary().slice(3)).toEqual(['DEL portmap eth0', 'DEL bridge eth0', 'DEL loopback lo']);
    expect(existsSync(join(t.cacheDir, 'sb1.json'))).toBe(false);
  });

  it('DELs what it added under a signal of its own when the caller aborts the ADD', async () => {
    const abort = new AbortController();
    const t = setup({ '10-net.conflist': conflist('net', ['bridge', 'portmap']) });
    const signals: { command: string; signal: AbortSignal | undefined }[] = [];
    const execute = t.executor.execute.bind(t.executor);
    t.executor.execute = async (call, options) => {
      signals.push({ command: call.command, signal: options?.signal });
      if (call.command === 'ADD' && call.pluginType === 'portmap') {
        abort.abort(new DeadlineExceededError("the client's deadline for RunPodSandbox passed"));
        throw abortedError(abort.signal, 'CNI plugin "portmap" ADD was killed');
      }
      return execute(call, options);
    };
    await expect(t.network.setUpPod(request, { signal: abort.signal })).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(t.summary().slice(2)).toEqual(['DEL portmap eth0', 'DEL bridge eth0', 'DEL loopback lo']);
    const dels = signals.filter((s) => s.command === 'DEL');
    expect(dels).toHaveLength(3);
    for (const del of dels) expect(del.signal?.aborted).toBe(false);
    expect(signals.filter((s) => s.command === 'ADD').every((s) => s.signal === abort.signal)).toBe(true);
  });

  it.each([
    ['a host port over 65535', { hostPort: 70000, containerPort: 80, protocol: 'tcp' as const }],
    ['container port 0', { hostPort: 8080, containerPort: 0, protocol: 'tcp' as const }],
    ['an unknown protocol', { hostPort: 8080, containerPort: 80, protocol: 'icmp' as unknown as 'tcp' }],
  ])('refuses %s before running any plugin', async (_name, mapping) => {
    const t = setup({ '10-net.conflist': conflist('net', ['bridge', 'portmap']) });
    await expect(t.network.setUpPod({ ...request, portMappings: [mapping] })).rejects.toThrow(/port mapping .* is invalid/);
    expect(t.calls).toEqual([]);
  });

  it('refuses when the conf dir has no network', async () => {
    const t = setup({});
    await expect(t.network.setUpPod(request)).rejects.toThrow(/no CNI network config/);
  });
});

describe('tearing down a pod network', () => {
  it('DELs in reverse order with the cached result as prevResult and forgets the sandbox', async () => {
    const t = setup({ '10-net.conflist': conflist('net', ['bridge', 'portmap']) });
    await t.network.setUpPod(request);
    t.calls.length = 0;
    await t.network.tearDownPod(request);
    expect(t.summary()).toEqual(['DEL portmap eth0', 'DEL bridge eth0', 'DEL loopback lo']);
    expect(t.calls[0]?.stdin.prevResult).toMatchObject({ by: 'portmap' });
    expect(t.calls[0]?.stdin.runtimeConfig).toEqual({ portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
    expect(readdirSync(t.cacheDir)).toEqual([]);
  });

  it('uses the cached config after the conf dir changed', async () => {
    const t = setup({ '10-net.conflist': conflist('net', ['bridge', 'portmap']) });
    await t.network.setUpPod(request);
    rmSync(join(t.confDir, '10-net.conflist'));
    writeFileSync(join(t.confDir, '05-other.conflist'), conflist('other', ['ptp']));
    t.calls.length = 0;
    await t.network.tearDownPod(request);
    expect(t.summary()).toEqual(['DEL portmap eth0', 'DEL bridge eth0', 'DEL loopback lo']);
    expect(t.calls[0]?.stdin.name).toBe('net');
  });

  it('runs DEL with an empty CNI_NETNS when the netns is gone', async () => {
    const t = setup({ '10-net.conflist': conflist('net', ['bridge']) });
    await t.network.setUpPod(request);
    t.calls.length = 0;
    await t.network.tearDownPod(request);
    expect(t.calls.map((c) => c.env.CNI_NETNS)).toEqual(['', '']);
  });

  it('is idempotent: a second teardown DELs again with the current config', async () => {
    const t = setup({ '10-net.conflist': conflist('net', ['bridge', 'portmap']) });
    await t.network.setUpPod(request);
    await t.network.tearDownPod(request);
    t.calls.length = 0;
    await t.network.tearDownPod(request);
    expect(t.summary()).toEqual(['DEL portmap eth0', 'DEL bridge eth0', 'DEL loopback lo']);
    expect(t.calls[0]?.stdin).not.toHaveProperty('prevResult');
  });

  it('DELs every plugin even when some fail, reports all failures and keeps the cache', async () => {
    const failing = recorder((c) => c.command === 'DEL' && c.pluginType !== 'bridge');
    const t = setup({ '10-net.conflist': conflist('net', ['bridge', 'portmap']) }, failing);
    await t.network.setUpPod(request);
    t.calls.length = 0;
    await expect(t.network.tearDownPod(request)).rejects.toThrow(/portmap DEL failed; loopback DEL failed/);
    expect(t.summary()).toEqual(['DEL portmap eth0', 'DEL bridge eth0', 'DEL loopback lo']);
    expect(existsSync(join(t.cacheDir, 'sb1.json'))).toBe(true);
  });

  it('does nothing without a cache record or a config', async () => {
    const t = setup({});
    await t.network.tearDownPod(request);
    expect(t.calls).toEqual([]);
  });

  it('moves a corrupt cache record aside and DELs with the current config', async () => {
    const t = setup({ '10-net.conflist': conflist('net', ['bridge']) });
    mkdirSync(t.cacheDir);
    writeFileSync(join(t.cacheDir, 'sb1.json'), '{"version": 1, "netw');
    await t.network.tearDownPod(request);
    expect(t.summary()).toEqual(['DEL bridge eth0', 'DEL loopback lo']);
    expect(readdirSync(t.cacheDir)).toEqual(['sb1.json.corrupt']);
  });
});

describe('network status', () => {
  it('is ready when the config loads and every plugin is installed', async () => {
    const t = setup({ '10-net.conflist': conflist('net', ['bridge', 'portmap']) });
    expect(await t.network.status()).toEqual({ ready: true, source: join(t.confDir, '10-net.conflist') });
  });

  it.each([
    ['no config', {}, /no CNI network config/],
    ['a broken config', { '10-net.conflist': '{' }, /is not valid JSON/],
    ['a missing plugin binary', { '10-net.conflist': conflist('net', ['bridge', 'flannel']) }, /CNI plugin "flannel" not found/],
  ])('is not ready with %s, saying why', async (_name, files, expected) => {
    const status = await setup(files).network.status();
    expect(status.ready).toBe(false);
    expect(status.reason).toBe('NetworkPluginNotReady');
    expect(status.message).toMatch(expected);
  });
});
