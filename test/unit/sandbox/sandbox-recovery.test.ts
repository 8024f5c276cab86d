import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PodSandboxConfig__Output } from '../../../api/cri/messages.js';
import { silentLogger } from '../../../common/logger.js';
import { SandboxManager } from '../../../runtime/sandbox/sandbox-manager.js';
import type { SandboxPorts } from '../../../runtime/sandbox/sandbox-ports.js';
import { sandboxConfig } from '../oci-spec/fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const id = 'a'.repeat(64);

function config(cgroupParent: string): PodSandboxConfig__Output {
  const base = sandboxConfig({ metadata: { name: 'web', namespace: 'default', uid: 'uid-1', attempt: 0 } });
  return { ...base, linux: base.linux && { ...base.linux, cgroupParent } };
}

/** Ports that record what recovery asks of them; `failing` names one that throws. */
function recorder(failing?: string): { ports: SandboxPorts; calls: string[] } {
  const calls: string[] = [];
  const step = async (name: string): Promise<void> => {
    calls.push(name);
    if (name.startsWith(failing ?? '\0')) throw new Error(`${name} failed`);
  };
  const unexpected = async (): Promise<never> => {
    throw new Error('not used by recovery');
  };
  return {
    calls,
    ports: {
      cgroups: {
        create: async (parent, sandboxId) => {
          await step(`cg.create ${parent || sandboxId.slice(0, 4)}`);
          return parent || `berth/pod-${sandboxId}`;
        },
        update: unexpected,
        remove: async (path) => step(`cg.remove ${path.replace(id, '<id>')}`),
        usage: unexpected,
      },
      namespaces: { create: unexpected, remove: unexpected },
      pidNamespaces: {
        create: unexpected,
        remove: async (ns) => step(`pid.remove ${ns.holderPid}`),
        // The holder a pod of this test left: found by the sandbox dir it carries.
        holdersOf: async (owner) => (owner.endsWith(id) && owner.includes('with-holder') ? [4242] : []),
      },
      network: { setUp: unexpected, tearDown: async (request) => step(`net.tearDown ${request.sandboxId.slice(0, 4)}`) },
      files: { prepare: unexpected, release: unexpected },
      mounts: {
        unmountUnder: async (dir) => {
          await step(`mounts.unmountUnder ${dir.endsWith(id) ? '<dir>' : dir}`);
          return [join(dir, 'ns/net')];
        },
      },
    },
  };
}

function world(): { rootDir: string; stateDir: string; intentPath: string; dir: string } {
  const base = mkdtempSync(join(tmpdir(), 'berth-recovery-with-holder-'));
  dirs.push(base);
  const rootDir = join(base, 'root');
  const stateDir = join(base, 'state');
  const dir = join(stateDir, 'sandboxes', id);
  mkdirSync(join(dir, 'ns'), { recursive: true });
  mkdirSync(join(rootDir, 'sandboxes/creating'), { recursive: true });
  return { rootDir, stateDir, dir, intentPath: join(rootDir, 'sandboxes/creating', `${id}.json`) };
}

describe('a RunPodSandbox cut short, at the next start', () => {
  it('is undone in teardown order: network, pid holder, mounts, dir, own cgroup, then the intent', async () => {
    const w = world();
    writeFileSync(w.intentPath, JSON.stringify({ version: 1, id, config: config('kubepods/poduid-1'), dir: w.dir }));
    const { ports, calls } = recorder();
    const sandboxes = await SandboxManager.open({ rootDir: w.rootDir, stateDir: w.stateDir, ports, logger: silentLogger() });
    expect(calls).toEqual(['net.tearDown aaaa', 'pid.remove 4242', 'mounts.unmountUnder <dir>', 'cg.create kubepods/poduid-1', 'cg.remove kubepods/poduid-1']);
    expect(existsSync(w.dir)).toBe(false);
    expect(readdirSync(join(w.rootDir, 'sandboxes/creating'))).toEqual([]);
    expect(sandboxes.list()).toEqual([]);
  });

  it('removes the cgroup a parentless pod got of its own, and leaves a shared parent alone', async () => {
    const w = world();
    writeFileSync(w.intentPath, JSON.stringify({ version: 1, id, config: config(''), dir: w.dir }));
    const own = recorder();
    await SandboxManager.open({ rootDir: w.rootDir, stateDir: w.stateDir, ports: own.ports, logger: silentLogger() });
    expect(own.calls.slice(-1)).toEqual(['cg.remove berth/pod-<id>']);

    const v = world();
    writeFileSync(v.intentPath, JSON.stringify({ version: 1, id, config: config('kubepods/burstable'), dir: v.dir }));
    const shared = recorder();
    await SandboxManager.open({ rootDir: v.rootDir, stateDir: v.stateDir, ports: shared.ports, logger: silentLogger() });
    expect(shared.calls.filter((c) => c.startsWith('cg.'))).toEqual([]);
  });

  it('keeps the intent and the dir when a mount cannot go, so the next start tries again', async () => {
    const w = world();
    writeFileSync(w.intentPath, JSON.stringify({ version: 1, id, config: config('kubepods/poduid-1'), dir: w.dir }));
    const { ports } = recorder('mounts.');
    await SandboxManager.open({ rootDir: w.rootDir, stateDir: w.stateDir, ports, logger: silentLogger() });
    expect(existsSync(w.dir)).toBe(true);
    expect(existsSync(w.intentPath)).toBe(true);
  });

  it('removes a sandbox dir that neither a record nor an intent names', async () => {
    const w = world();
    const { ports, calls } = recorder();
    await SandboxManager.open({ rootDir: w.rootDir, stateDir: w.stateDir, ports, logger: silentLogger() });
    expect(calls).toEqual(['net.tearDown aaaa', 'pid.remove 4242', 'mounts.unmountUnder <dir>']);
    expect(existsSync(w.dir)).toBe(false);
  });

  it('only forgets the intent of a create that finished (its record was written)', async () => {
    const w = world();
    writeFileSync(w.intentPath, JSON.stringify({ version: 1, id, config: config(''), dir: w.dir }));
    const record = {
      version: 1,
      id,
      name: 'k8s_web_default_uid-1_0',
      state: 'ready',
      createdAt: '1',
      config: config(''),
      runtimeHandler: '',
      dir: w.dir,
      namespaces: {},
      hostNetwork: false,
      hostname: 'web',
      ips: [],
      networkSetUp: false,
    };
    writeFileSync(join(w.rootDir, 'sandboxes', `${id}.json`), JSON.stringify(record));
    const { ports, calls } = recorder();
    const sandboxes = await SandboxManager.open({ rootDir: w.rootDir, stateDir: w.stateDir, ports, logger: silentLogger() });
    expect(calls).toEqual([]);
    expect(existsSync(w.intentPath)).toBe(false);
    expect(sandboxes.list().map((s) => s.id)).toEqual([id]);
  });
});
