import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContainerConfig__Output } from '../../../api/cri/messages.js';
import { abortedError } from '../../../common/abort.js';
import { CancelledError } from '../../../common/errors.js';
import { silentLogger } from '../../../common/logger.js';
import { ContainerManager } from '../../../runtime/containers/container-manager.js';
import type { ContainerPorts, ExitStatus } from '../../../runtime/containers/container-ports.js';
import type { SandboxRecord } from '../../../runtime/sandbox/sandbox-record.js';
import { gate } from '../gate.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const sandbox: SandboxRecord = {
  version: 1,
  id: 'a'.repeat(64),
  name: 'k8s_web_default_uid-1_0',
  state: 'ready',
  createdAt: '1',
  config: {
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1', attempt: 0 },
    hostname: 'web',
    logDirectory: '/var/log/pods/x',
    dnsConfig: null,
    portMappings: [],
    labels: {},
    annotations: {},
    linux: null,
    windows: null,
  },
  runtimeHandler: '',
  dir: '/run/berth/sandboxes/a',
  namespaces: {},
  hostNetwork: false,
  hostname: 'web',
  ips: [],
  networkSetUp: false,
  resources: { resources: null, overhead: null },
  labels: {},
};

function containerConfig(overrides: Partial<ContainerConfig__Output> = {}): ContainerConfig__Output {
  return {
    metadata: { name: 'app', attempt: 0 },
    image: { image: 'busybox', annotations: {}, userSpecifiedImage: '', runtimeHandler: '', imageVolumeMounts: [] } as unknown as ContainerConfig__Output['image'],
    command: ['sh'],
    args: [],
    workingDir: '',
    envs: [],
    mounts: [],
    devices: [],
    labels: { tier: 'web' },
    annotations: {},
    logPath: 'app/0.log',
    stdin: false,
    stdinOnce: false,
    tty: false,
    linux: null,
    windows: null,
    CDIDevices: [],
    stopSignal: 'RUNTIME_DEFAULT',
    ...overrides,
  } as ContainerConfig__Output;
}

function recorder(options: { failAt?: string; exit?: ExitStatus; oomKills?: number } = {}): {
  ports: ContainerPorts;
  calls: string[];
  exit: { value?: ExitStatus };
  /** What the monitor's exit watcher would call when an exit file appears. */
  exitFileAppeared: (id: string) => void;
} {
  const calls: string[] = [];
  let onExit: (id: string) => void = () => undefined;
  const created: string[] = [];
  const exit: { value?: ExitStatus } = options.exit ? { value: options.exit } : {};
  const step = async (name: string): Promise<void> => {
    calls.push(name);
    if (name === options.failAt) throw new Error(`${name} failed`);
  };
  return {
    calls,
    exit,
    exitFileAppeared: (id) => onExit(id),
    ports: {
      images: {
        resolve: async (ref) => {
          await step(`image.resolve ${ref}`);
          return {
            id: `sha256:${'c'.repeat(64)}`,
            ref: `docker.io/library/busybox@sha256:${'d'.repeat(64)}`,
            topChainId: `sha256:${'e'.repeat(64)}`,
            config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
          };
        },
      },
      snapshots: {
        prepare: async (key) => {
          await step('snapshot.prepare');
          return [{ type: 'overlay', source: 'overlay', options: [`upperdir=/x/${key}`] }];
        },
        remove: async () => step('snapshot.remove'),
        usage: async () => ({ usedBytes: 4096, inodesUsed: 3, mountpoint: '/x' }),
        layers: async (key: string) => ({ upper: `/x/${key}`, lowers: [] }),
      },
      spec: {
        build: async (input) => {
          await step('spec.build');
          return { spec: { ociVersion: '1.0.2', process: { args: input.container.command } }, warnings: [] };
        },
      },
      monitor: {
        create: async (request) => {
          created.push(request.id);
          await step('monitor.create');
        },
        start: async () => step('monitor.start'),
        stop: async (_id, timeout, signal) => {
          await step(`monitor.stop ${timeout} ${signal}`);
          exit.value ??= { exitCode: 137, finishedAt: '5' };
        },
        exitStatus: async () => exit.value,
        recordedExit: async () => exit.value,
        exitedIds: async () => new Set(exit.value ? created : []),
        watchExits: (listener) => {
          onExit = listener;
          return () => {
            onExit = () => undefined;
          };
        },
        pid: async () => 4242,
        delete: async () => step('monitor.delete'),
        execSync: async () => ({ stdout: Buffer.from('out'), stderr: Buffer.alloc(0), exitCode: 0 }),
        reopenLog: async () => step('monitor.reopenLog'),
        kill: async (_id: string, signal: string) => step(`monitor.kill ${signal}`),
        execStream: async () => {
          throw new Error('not used by these tests');
        },
        attach: async () => {
          throw new Error('not used by these tests');
        },
      },
      mounter: {
        mount: async () => step('mount'),
        bind: async () => step('bind'),
        unmount: async () => step('unmount'),
        mountsUnder: async () => [],
      },
      cgroups: {
        pathFor: (sandbox, id) => `${sandbox.cgroupPath ?? 'berth'}/berth-${id}`,
        stats: async () => ({ cpu: { usageNanos: 5_000_000, periods: 0, throttledPeriods: 0, throttledNanos: 0 } }),
        oomEvents: async () => ({ oomKills: options.oomKills ?? 0, limitHits: 0 }),
        update: async (path) => step(`cgroups.update ${path}`),
        remove: async (path) => step(`cgroups.remove ${path}`),
      },
    },
  };
}

async function manager(ports: ContainerPorts): Promise<ContainerManager> {
  const root = mkdtempSync(join(tmpdir(), 'berth-containers-'));
  dirs.push(root);
  return ContainerManager.open({ rootDir: join(root, 'root'), stateDir: join(root, 'state'), ports, logger: silentLogger() });
}

describe('container manager', () => {
  it('creates: image, snapshot, rootfs mount, spec written to the bundle, monitor', async () => {
    const { ports, calls } = recorder();
    const container = await (await manager(ports)).create(sandbox, containerConfig());
    expect(calls).toEqual(['image.resolve busybox', 'snapshot.prepare', 'mount', 'spec.build', 'monitor.create']);
    expect(container.state).toBe('created');
    expect(container.logPath).toBe('/var/log/pods/x/app/0.log');
    expect(JSON.parse(readFileSync(join(container.bundleDir, 'config.json'), 'utf8'))).toMatchObject({ process: { args: ['sh'] } });
  });

  it('undoes the rootfs and snapshot when the monitor cannot create the container', async () => {
    const { ports, calls } = recorder({ failAt: 'monitor.create' });
    const containers = await manager(ports);
    await expect(containers.create(sandbox, containerConfig())).rejects.toThrow('monitor.create failed');
    expect(calls.slice(-4)).toEqual(['monitor.create', expect.stringMatching(/^cgroups\.remove .*\/berth-[0-9a-f]+$/), 'unmount', 'snapshot.remove']);
    expect(await containers.list()).toEqual([]);
  });

  it('returns the same container for a retried create', async () => {
    const { ports } = recorder();
    const containers = await manager(ports);
    const first = await containers.create(sandbox, containerConfig());
    expect((await containers.create(sandbox, containerConfig())).id).toBe(first.id);
  });

  it('gives a retry that arrives during a slow create the same container, made once', async () => {
    const { ports, calls } = recorder();
    const containers = await manager(ports);
    // conmon takes its time: the kubelet's retry arrives meanwhile.
    const conmon = gate();
    const create = ports.monitor.create.bind(ports.monitor);
    ports.monitor.create = async (request, options) => conmon.promise.then(() => create(request, options));
    const [first, retry] = [containers.create(sandbox, containerConfig()), containers.create(sandbox, containerConfig())];
    await new Promise((resolve) => setTimeout(resolve, 20));
    conmon.resolve();
    const [a, b] = await Promise.all([first, retry]);
    expect(b.id).toBe(a.id);
    expect(calls.filter((c) => c === 'monitor.create')).toHaveLength(1);
    expect(await containers.list()).toHaveLength(1);
  });

  it('undoes a create whose caller was cancelled inside the monitor, with a signal of its own', async () => {
    const { ports, calls } = recorder();
    const abort = new AbortController();
    let undoSignal: AbortSignal | undefined;
    ports.monitor.create = async (_request, options) => {
      calls.push('monitor.create');
      abort.abort(new CancelledError('the client cancelled CreateContainer'));
      throw abortedError(options?.signal ?? abort.signal, 'conmon/runc create was killed');
    };
    const unmount = ports.mounter.unmount;
    ports.mounter.unmount = async (target, options) => {
      undoSignal = options?.signal;
      await unmount(target, options);
    };
    const containers = await manager(ports);
    await expect(containers.create(sandbox, containerConfig(), { signal: abort.signal })).rejects.toBeInstanceOf(CancelledError);
    // A runtime killed mid-create leaves its cgroup, which the pod's cgroup removal would trip on.
    expect(calls.slice(-4)).toEqual(['monitor.create', expect.stringMatching(/^cgroups\.remove /), 'unmount', 'snapshot.remove']);
    expect(undoSignal?.aborted).toBe(false);
    expect(await containers.list()).toEqual([]);
  });

  it('reports an exit that conmon recorded, with Completed for exit code 0', async () => {
    const { ports, exit } = recorder();
    const containers = await manager(ports);
    const { id } = await containers.create(sandbox, containerConfig());
    await containers.start(id);
    expect((await containers.refresh(id)).state).toBe('running');
    exit.value = { exitCode: 0, finishedAt: '42' };
    expect(await containers.refresh(id)).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed', finishedAt: '42' });
  });

  it('gives ContainerStatus an exit conmon recorded between its looks at conmon itself', async () => {
    const { ports, exit } = recorder();
    const containers = await manager(ports);
    const { id } = await containers.create(sandbox, containerConfig());
    await containers.start(id);
    expect((await containers.current(id)).state).toBe('running');
    exit.value = { exitCode: 0, finishedAt: '42' };
    expect(await containers.current(id)).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed', finishedAt: '42' });
    expect(await containers.current(id)).toMatchObject({ state: 'exited', exitCode: 0 });
  });

  it('tells subscribers of each state change, an exit as soon as its exit file appears', async () => {
    const { ports, exit, exitFileAppeared } = recorder();
    const containers = await manager(ports);
    const seen: string[] = [];
    const unsubscribe = containers.events.subscribe((event) => seen.push(`${event.kind} ${event.sandboxId}`));
    const { id } = await containers.create(sandbox, containerConfig());
    await containers.start(id);
    exit.value = { exitCode: 0, finishedAt: '42' };
    exitFileAppeared(id);
    await expect.poll(() => seen.length).toBe(3);
    // A repeated hint, or one for a container berth does not know, changes nothing.
    exitFileAppeared(id);
    exitFileAppeared('unknown');
    await containers.remove(id);
    expect(seen).toEqual([`created ${sandbox.id}`, `started ${sandbox.id}`, `stopped ${sandbox.id}`, `deleted ${sandbox.id}`]);
    unsubscribe();
    containers.close();
  });

  it('lists exits found by the exit-file listing between full looks', async () => {
    const { ports, exit } = recorder();
    const containers = await manager(ports);
    const { id } = await containers.create(sandbox, containerConfig());
    await containers.start(id);
    expect((await containers.list())[0]?.state).toBe('running');
    exit.value = { exitCode: 3, finishedAt: '42' };
    expect((await containers.list())[0]).toMatchObject({ state: 'exited', exitCode: 3, reason: 'Error' });
  });

  it('reports a SIGKILL its cgroup counted as an OOM kill as OOMKilled', async () => {
    const { ports, exit } = recorder({ oomKills: 1 });
    const containers = await manager(ports);
    const { id } = await containers.create(sandbox, containerConfig());
    await containers.start(id);
    exit.value = { exitCode: 137, finishedAt: '42' };
    expect(await containers.refresh(id)).toMatchObject({ state: 'exited', exitCode: 137, reason: 'OOMKilled' });
  });

  it('keeps the cgroup path and reads usage from it and the writable layer', async () => {
    const { ports } = recorder();
    const containers = await manager(ports);
    const { id, cgroupPath } = await containers.create(sandbox, containerConfig());
    expect(cgroupPath).toBe(`${sandbox.cgroupPath ?? 'berth'}/berth-${id}`);
    const first = await containers.usage(id);
    expect(first).toMatchObject({ cgroup: { cpu: { usageNanos: 5_000_000 } }, writableLayer: { usedBytes: 4096, inodesUsed: 3 }, usageNanoCores: undefined });
    expect(first.timestampNanos).toBeGreaterThan(BigInt(Date.now() - 60_000) * 1_000_000n);
  });

  it('updates the resources of a live container and remembers them', async () => {
    const { ports, calls } = recorder();
    const containers = await manager(ports);
    const { id } = await containers.create(sandbox, containerConfig());
    await containers.start(id);
    const resources = { memoryLimitInBytes: '67108864' } as never;
    await containers.updateResources(id, resources);
    expect(calls.at(-1)).toMatch(/^cgroups\.update .*berth-/);
    // The limits in force live in the status.
    expect(containers.get(id).resources).toEqual(resources);
    // The config as created stays as it was.
    expect(containers.get(id).config.linux).toBeNull();
  });

  it('stops with the timeout and signal, idempotently, and removes everything', async () => {
    const { ports, calls } = recorder();
    const containers = await manager(ports);
    const { id, bundleDir } = await containers.create(sandbox, containerConfig());
    await containers.start(id);
    await containers.stop(id, 10);
    await containers.stop(id, 10);
    expect(calls.filter((c) => c.startsWith('monitor.stop'))).toEqual(['monitor.stop 10 SIGTERM']);
    expect(containers.get(id)).toMatchObject({ state: 'exited', exitCode: 137, reason: 'Error' });
    await containers.remove(id);
    await containers.remove(id);
    expect(existsSync(bundleDir)).toBe(false);
    expect(await containers.list()).toEqual([]);
  });

  it('refuses to start a container twice', async () => {
    const { ports } = recorder();
    const containers = await manager(ports);
    const { id } = await containers.create(sandbox, containerConfig());
    await containers.start(id);
    await expect(containers.start(id)).rejects.toThrow(/is running; only a created container can be started/);
  });

  it.each([
    ['no name', containerConfig({ metadata: null }), /needs a name/],
    ['no image', containerConfig({ image: null }), /needs an image/],
    ['an absolute log path', containerConfig({ logPath: '/etc/passwd' }), /must be relative/],
    ['a log path escaping the pod log dir', containerConfig({ logPath: '../../../etc/cron.d/x' }), /stay inside it/],
  ])('rejects %s before touching anything', async (_what, config, message) => {
    const { ports, calls } = recorder();
    await expect((await manager(ports)).create(sandbox, config)).rejects.toThrow(message);
    expect(calls).toEqual([]);
  });

  it('refuses to create in a stopped sandbox', async () => {
    const { ports } = recorder();
    await expect((await manager(ports)).create({ ...sandbox, state: 'notready' }, containerConfig())).rejects.toThrow(/is not ready/);
  });
});

describe('container events', () => {
  it('tells an exit once when a list and the exit watcher record it at the same time', async () => {
    const { ports, exit, exitFileAppeared } = recorder();
    const containers = await manager(ports);
    const stopped: string[] = [];
    containers.events.subscribe((event) => {
      if (event.kind === 'stopped') stopped.push(event.containerId);
    });
    const { id } = await containers.create(sandbox, containerConfig());
    await containers.start(id);
    exit.value = { exitCode: 1, finishedAt: '7' };
    exitFileAppeared(id);
    await Promise.all([containers.list(), containers.refresh(id), containers.refresh(id)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toEqual([id]);
    containers.close();
  });
});
