import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LinuxContainerResources__Output, PodSandboxConfig__Output } from '../../../api/cri/messages.js';
import { abortedError } from '../../../common/abort.js';
import { CancelledError, DeadlineExceededError } from '../../../common/errors.js';
import { silentLogger } from '../../../common/logger.js';
import { SandboxManager } from '../../../runtime/sandbox/sandbox-manager.js';
import type { SandboxPorts } from '../../../runtime/sandbox/sandbox-ports.js';
import { gate } from '../gate.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function podConfig(overrides: Partial<PodSandboxConfig__Output> = {}): PodSandboxConfig__Output {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1', attempt: 0 },
    hostname: 'web',
    logDirectory: '/var/log/pods/default_web_uid-1',
    dnsConfig: null,
    portMappings: [],
    labels: { app: 'web' },
    annotations: { note: 'x' },
    linux: null,
    windows: null,
    ...overrides,
  };
}

/** Records every adapter call; `failAt` makes one step throw. */
function recorder(failAt?: string): { ports: SandboxPorts; calls: string[] } {
  const calls: string[] = [];
  const step = async (name: string): Promise<void> => {
    calls.push(name);
    if (name === failAt) throw new Error(`${name} failed`);
  };
  return {
    calls,
    ports: {
      cgroups: {
        // A parentless pod's own cgroup is recorded as berth/pod-<sandbox>, whatever its id.
        create: async (parent, sandboxId) => {
          const path = parent.replace(/^\/+/, '') || `berth/pod-${sandboxId}`;
          await step(`cg.create ${path.replace(sandboxId, '<sandbox>')}`);
          return path;
        },
        update: async (path) => step(`cg.update ${path}`),
        remove: async (path) => step(`cg.remove ${path.replace(/pod-[0-9a-f]{64}$/, 'pod-<sandbox>')}`),
        usage: async () => ({ stats: undefined, oom: undefined }),
      },
      namespaces: {
        create: async (dir, kinds) => {
          await step(
            `ns.create ${Object.entries(kinds)
              .filter(([, v]) => v)
              .map(([k]) => k)
              .join(',')}`,
          );
          return kinds.network ? { network: join(dir, 'net'), ipc: join(dir, 'ipc'), uts: join(dir, 'uts') } : { ipc: join(dir, 'ipc') };
        },
        remove: async () => step('ns.remove'),
      },
      pidNamespaces: {
        create: async () => {
          await step('pid.create');
          return { holderPid: 4242, path: '/proc/4242/ns/pid' };
        },
        remove: async () => step('pid.remove'),
        holdersOf: async () => [],
      },
      network: {
        setUp: async () => {
          await step('net.setUp');
          return { ips: ['10.85.0.5'] };
        },
        tearDown: async () => step('net.tearDown'),
      },
      files: {
        prepare: async (dir) => {
          await step('files.prepare');
          return { hostsPath: join(dir, 'hosts'), resolvConfPath: join(dir, 'resolv.conf'), hostnamePath: join(dir, 'hostname') };
        },
        release: async () => step('files.release'),
      },
      mounts: {
        unmountUnder: async (dir) => {
          await step(`mounts.unmountUnder ${dir.split('/').at(-1) === 'sandboxes' ? dir : '<sandbox dir>'}`);
          return [];
        },
      },
    },
  };
}

function noResources(): LinuxContainerResources__Output {
  return {
    cpuPeriod: '0',
    cpuQuota: '0',
    cpuShares: '0',
    memoryLimitInBytes: '0',
    oomScoreAdj: '0',
    cpusetCpus: '',
    cpusetMems: '',
    hugepageLimits: [],
    unified: {},
    memorySwapLimitInBytes: '0',
  };
}

async function manager(ports: SandboxPorts): Promise<SandboxManager> {
  const root = mkdtempSync(join(tmpdir(), 'berth-sandbox-'));
  dirs.push(root);
  return SandboxManager.open({ stateDir: join(root, 'state'), rootDir: join(root, 'root'), ports, logger: silentLogger() });
}

describe('sandbox manager', () => {
  it('pins namespaces, sets up the network, then writes the pod files', async () => {
    const { ports, calls } = recorder();
    const sandbox = await (await manager(ports)).run(podConfig(), '');
    expect(calls).toEqual(['cg.create berth/pod-<sandbox>', 'ns.create network,ipc,uts', 'net.setUp', 'files.prepare']);
    expect(sandbox.ips).toEqual(['10.85.0.5']);
    expect(sandbox.state).toBe('ready');
    expect(sandbox.config.labels).toEqual({ app: 'web' });
  });

  it('returns the same sandbox when the same pod is run again', async () => {
    const { ports } = recorder();
    const sandboxes = await manager(ports);
    const first = await sandboxes.run(podConfig(), '');
    const second = await sandboxes.run(podConfig(), '');
    expect(second.id).toBe(first.id);
    expect(sandboxes.list()).toHaveLength(1);
  });

  it('undoes every finished step when a later one fails', async () => {
    const { ports, calls } = recorder('files.prepare');
    const sandboxes = await manager(ports);
    await expect(sandboxes.run(podConfig(), '')).rejects.toThrow('files.prepare failed');
    expect(calls).toEqual(['cg.create berth/pod-<sandbox>', 'ns.create network,ipc,uts', 'net.setUp', 'files.prepare', 'net.tearDown', 'ns.remove', 'cg.remove berth/pod-<sandbox>']);
    expect(sandboxes.list()).toEqual([]);
  });

  it('stops at an abort inside a step and still undoes the finished steps, under signals of their own', async () => {
    const { ports, calls } = recorder();
    const undoSignals: (AbortSignal | undefined)[] = [];
    const abort = new AbortController();
    // CNI ADD hangs until the caller's deadline kills it, as a real plugin's child would be.
    ports.network.setUp = async (_request, options) => {
      calls.push('net.setUp');
      abort.abort(new DeadlineExceededError("the client's deadline for RunPodSandbox passed"));
      throw abortedError(options?.signal ?? new AbortController().signal, 'CNI plugin bridge ADD was killed');
    };
    const removePins = ports.namespaces.remove;
    ports.namespaces.remove = async (pins, options) => {
      undoSignals.push(options?.signal);
      await removePins(pins, options);
    };
    const sandboxes = await manager(ports);
    const run = sandboxes.run(podConfig(), '', { signal: abort.signal });
    await expect(run).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(calls).toEqual(['cg.create berth/pod-<sandbox>', 'ns.create network,ipc,uts', 'net.setUp', 'ns.remove', 'cg.remove berth/pod-<sandbox>']);
    expect(undoSignals).toHaveLength(1);
    expect(undoSignals[0]).not.toBe(abort.signal);
    expect(undoSignals[0]?.aborted).toBe(false);
    expect(sandboxes.list()).toEqual([]);
  });

  it('does nothing for a RunPodSandbox whose caller is already gone', async () => {
    const { ports, calls } = recorder();
    const abort = new AbortController();
    abort.abort(new CancelledError('the client cancelled RunPodSandbox'));
    await expect((await manager(ports)).run(podConfig(), '', { signal: abort.signal })).rejects.toBeInstanceOf(CancelledError);
    expect(calls).toEqual([]);
  });

  it('gives a retry that arrives during a slow RunPodSandbox the same sandbox, made once', async () => {
    const { ports, calls } = recorder();
    const cni = gate();
    const setUp = ports.network.setUp;
    ports.network.setUp = async (request, options) => cni.promise.then(() => setUp(request, options));
    const sandboxes = await manager(ports);
    const [first, retry] = [sandboxes.run(podConfig(), ''), sandboxes.run(podConfig(), '')];
    await new Promise((resolve) => setTimeout(resolve, 20));
    cni.resolve();
    const [a, b] = await Promise.all([first, retry]);
    expect(b.id).toBe(a.id);
    expect(calls.filter((c) => c.startsWith('ns.create'))).toHaveLength(1);
    expect(sandboxes.list()).toHaveLength(1);
  });

  it('makes the sandbox for a retry whose first call was killed by its deadline, after undoing the first', async () => {
    const { ports, calls } = recorder();
    const abort = new AbortController();
    let entered: () => void = () => undefined;
    const inSetUp = new Promise<void>((resolve) => (entered = resolve));
    const setUp = ports.network.setUp;
    ports.network.setUp = async (request, options) => {
      if (options?.signal === abort.signal) {
        entered();
        await new Promise((_resolve, reject) => abort.signal.addEventListener('abort', () => reject(abortedError(abort.signal, 'CNI plugin bridge ADD was killed'))));
      }
      return setUp(request, options);
    };
    const sandboxes = await manager(ports);
    const first = sandboxes.run(podConfig(), '', { signal: abort.signal });
    await inSetUp;
    const retry = sandboxes.run(podConfig(), '');
    abort.abort(new DeadlineExceededError("the client's deadline for RunPodSandbox passed"));
    await expect(first).rejects.toBeInstanceOf(DeadlineExceededError);
    const made = await retry;
    expect(made.state).toBe('ready');
    expect(sandboxes.list().map((s) => s.id)).toEqual([made.id]);
    // The first attempt's namespaces went before the retry pinned its own.
    expect(calls.filter((c) => c.startsWith('ns.'))).toEqual(['ns.create network,ipc,uts', 'ns.remove', 'ns.create network,ipc,uts']);
  });

  it('uses the host network without CNI when asked', async () => {
    const { ports, calls } = recorder();
    const config = podConfig({
      linux: {
        cgroupParent: '',
        sysctls: {},
        overhead: null,
        resources: null,
        securityContext: {
          namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD', targetId: '', usernsOptions: null },
          selinuxOptions: null,
          runAsUser: null,
          runAsGroup: null,
          readonlyRootfs: false,
          supplementalGroups: [],
          privileged: false,
          seccompProfilePath: '',
          seccomp: null,
          apparmor: null,
          supplementalGroupsPolicy: 'Merge',
        },
      },
    });
    const sandbox = await (await manager(ports)).run(config, '');
    expect(calls).toEqual(['cg.create berth/pod-<sandbox>', 'ns.create ipc', 'files.prepare']);
    expect(sandbox.hostNetwork).toBe(true);
  });

  it('stops idempotently and removes what it stopped', async () => {
    const { ports, calls } = recorder();
    const sandboxes = await manager(ports);
    const { id } = await sandboxes.run(podConfig(), '');
    calls.length = 0;
    await sandboxes.stop(id);
    await sandboxes.stop(id);
    expect(calls).toEqual(['net.tearDown', 'files.release', 'ns.remove']);
    await sandboxes.remove(id);
    await sandboxes.remove(id);
    expect(sandboxes.list()).toEqual([]);
  });

  describe('the pod cgroup', () => {
    const inPodCgroup = (attempt: number, parent = '/kubepods/burstable/poduid-1'): PodSandboxConfig__Output =>
      podConfig({
        metadata: { name: 'web', namespace: 'default', uid: 'uid-1', attempt },
        linux: { cgroupParent: parent, sysctls: {}, overhead: null, resources: null, securityContext: null },
      });

    it("removes the pod's own cgroup (pod<uid>) with its last sandbox, not before", async () => {
      const { ports, calls } = recorder();
      const sandboxes = await manager(ports);
      const first = await sandboxes.run(inPodCgroup(0), '');
      const second = await sandboxes.run(inPodCgroup(1), '');
      expect(first.ownsCgroup).toBe(true);
      calls.length = 0;
      await sandboxes.remove(first.id);
      expect(calls).not.toContain('cg.remove kubepods/burstable/poduid-1');
      await sandboxes.remove(second.id);
      expect(calls.at(-1)).toBe('cg.remove kubepods/burstable/poduid-1');
    });

    it('gives a pod without a cgroup_parent a cgroup of its own and removes it with the pod', async () => {
      const { ports, calls } = recorder();
      const sandboxes = await manager(ports);
      const sandbox = await sandboxes.run(podConfig(), '');
      expect(sandbox).toMatchObject({ cgroupPath: `berth/pod-${sandbox.id}`, ownsCgroup: true });
      await sandboxes.remove(sandbox.id);
      expect(calls.at(-1)).toBe('cg.remove berth/pod-<sandbox>');
    });

    it('leaves a shared parent alone', async () => {
      const { ports, calls } = recorder();
      const sandboxes = await manager(ports);
      const sandbox = await sandboxes.run(inPodCgroup(0, '/kubepods'), '');
      await sandboxes.remove(sandbox.id);
      expect(calls.filter((call) => call.startsWith('cg.remove'))).toEqual([]);
    });

    it('removes a cgroup it made for a pod that failed to start', async () => {
      const { ports, calls } = recorder('net.setUp');
      await expect((await manager(ports)).run(inPodCgroup(0), '')).rejects.toThrow('net.setUp failed');
      expect(calls.at(-1)).toBe('cg.remove kubepods/burstable/poduid-1');
    });

    it('creates no namespaces when the pod cgroup cannot be made', async () => {
      const { ports, calls } = recorder('cg.create kubepods/burstable/poduid-1');
      await expect((await manager(ports)).run(inPodCgroup(0), '')).rejects.toThrow('failed');
      expect(calls).toEqual(['cg.create kubepods/burstable/poduid-1']);
    });

    it('updates the limits of a live pod and remembers them', async () => {
      const { ports, calls } = recorder();
      const sandboxes = await manager(ports);
      const { id } = await sandboxes.run(inPodCgroup(0), '');
      const resources = { ...noResources(), memoryLimitInBytes: String(64 << 20) };
      await sandboxes.updateResources(id, { resources, overhead: null });
      expect(calls.at(-1)).toBe('cg.update kubepods/burstable/poduid-1');
      expect(sandboxes.get(id).resources.resources?.memoryLimitInBytes).toBe(String(64 << 20));
      // The config as created stays as it was.
      expect(sandboxes.get(id).config.linux?.resources?.memoryLimitInBytes).not.toBe(String(64 << 20));
    });

    it('says the pod is unknown when updating one that is not there', async () => {
      const { ports } = recorder();
      await expect((await manager(ports)).updateResources('nope', { resources: null, overhead: null })).rejects.toThrow(/not found|no pod sandbox/i);
    });
  });

  it.each([
    ['no metadata', podConfig({ metadata: null }), /needs name, namespace and uid/],
    ['a name with a slash', podConfig({ metadata: { name: 'a/b', namespace: 'n', uid: 'u', attempt: 0 } }), /may not contain/],
    ['a relative log directory', podConfig({ logDirectory: 'logs' }), /must be an absolute path/],
    ['an invalid hostname', podConfig({ hostname: 'not_a_host' }), /must be at most 64 letters/],
    ['a port out of range', podConfig({ portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort: 70000, hostIp: '' }] }), /out of range/],
  ])('rejects %s with a clear message', async (_what, config, message) => {
    const { ports, calls } = recorder();
    await expect((await manager(ports)).run(config, '')).rejects.toThrow(message);
    expect(calls).toEqual([]);
  });

  it('rejects an unknown runtime handler', async () => {
    const { ports } = recorder();
    await expect((await manager(ports)).run(podConfig(), 'kata')).rejects.toThrow(/runtime handler "kata" is not configured/);
  });
});
