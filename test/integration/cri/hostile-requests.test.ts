// Malformed and hostile CRI requests against a real berth, through berth's own gRPC CRI client
// (containerd's TestBreakouts style): each case is a name, a request, the gRPC code it must get
// and a part of the message that names the field. After every case the daemon still answers and
// its state is what it was: the same pods and containers (the fixture's still ready and running),
// no record, bundle, sandbox dir, snapshot or mount left by the case. The concurrent cases (two
// creates of one name in flight, two removes of one pod) come last, with their own checks.
// Real binaries: berth from dist/, runc, conmon, CNI plugins, the test registry's busybox.
import { execa } from 'execa';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { CriCallError, CriClient } from '../../../cri/client/cri-client.js';
import type { ContainerConfig, LinuxContainerResources, Mount, PodSandboxConfig } from '../../../api/cri/messages.js';
import { berthFixture } from '../../harness/berth-fixture.js';

type Code = keyof typeof GrpcStatus;

/** What a case may use: the fixture's ready pod and running container, and its directories. */
interface Target {
  client: CriClient;
  podId: string;
  containerId: string;
  pod: PodSandboxConfig;
  work: string;
  socket: string;
  rootDir: string;
  stateDir: string;
}

interface HostileCase {
  name: string;
  send(t: Target): Promise<unknown>;
  code: Code;
  /** A part of the refusal's message naming the field (absent for OK). */
  field?: string;
}

const fixture = berthFixture('hostile', 162, async (f) => {
  const client = new CriClient({ endpoint: f.berth.socket, timeoutMs: 60_000 });
  await client.pullImage(image(f.registry));
  const logs = join(f.work, 'logs');
  mkdirSync(join(logs, 'sleeper'), { recursive: true });
  const outside = join(f.work, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'victim.log'), 'untouched\n');
  symlinkSync(outside, join(logs, 'linked-dir'));
  symlinkSync(join(outside, 'victim.log'), join(logs, 'linked.log'));
  symlinkSync(f.berth.stateDir, join(f.work, 'state-link'));
  const pod: PodSandboxConfig = {
    metadata: { name: 'hostile', namespace: 'hostile', uid: 'hostile-uid', attempt: 0 },
    logDirectory: logs,
  };
  const podId = (await client.runPodSandbox(pod)).podSandboxId;
  const { containerId } = await client.createContainer(podId, { metadata: { name: 'sleeper' }, image: { image: image(f.registry) }, command: ['sleep', '3600'], logPath: 'sleeper/0.log' }, pod);
  await client.startContainer(containerId);
  target = { client, podId, containerId, pod, work: f.work, socket: f.berth.socket, rootDir: f.berth.rootDir, stateDir: f.berth.stateDir };
  baseline = await fingerprint();
});

let target: Target;
let baseline: Fingerprint;

function image(registry: string): string {
  return `${registry}/busybox:latest`;
}

function probePod(overrides: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  return { metadata: { name: 'probe', namespace: 'hostile', uid: 'probe-uid', attempt: 0 }, ...overrides };
}

function probeContainer(overrides: Partial<ContainerConfig> = {}): ContainerConfig {
  return { metadata: { name: 'probe' }, image: { image: image(fixture.registry) }, command: ['sleep', '3600'], ...overrides };
}

const createIn = (t: Target, config: ContainerConfig): Promise<unknown> => t.client.createContainer(t.podId, config, t.pod);
const withMount = (t: Target, mount: Mount): Promise<unknown> => createIn(t, probeContainer({ mounts: [mount] }));
const withResources = (t: Target, resources: LinuxContainerResources): Promise<unknown> => createIn(t, probeContainer({ linux: { resources } }));
const update = (t: Target, resources: LinuxContainerResources): Promise<unknown> => t.client.updateContainerResources(t.containerId, resources);

/** A map of `entries` entries whose keys and values together fill about `bytes`. */
function bigMap(entries: number, bytes: number): Record<string, string> {
  const value = 'v'.repeat(Math.max(1, Math.floor(bytes / entries) - 12));
  return Object.fromEntries(Array.from({ length: entries }, (_, i) => [`key-${String(i).padStart(6, '0')}`, value]));
}

// Ids no berth object can have, and one it simply has not got. Stop and Remove of what is not
// there succeed (the CRI makes them idempotent); everything else is NotFound, naming the field.
const badIds: [string, string][] = [
  ['an unknown id', 'f'.repeat(64)],
  ['a path', '../../../etc/passwd'],
  ['".."', '..'],
  ['a NUL', 'abc\0def'],
  ['an over-long id', 'a'.repeat(70_000)],
];

const podIdRpcs: [string, (t: Target, id: string) => Promise<unknown>, Code][] = [
  ['PodSandboxStatus', (t, id) => t.client.podSandboxStatus(id), 'NOT_FOUND'],
  ['StopPodSandbox', (t, id) => t.client.stopPodSandbox(id), 'OK'],
  ['RemovePodSandbox', (t, id) => t.client.removePodSandbox(id), 'OK'],
  ['PortForward', (t, id) => t.client.portForward(id, [80]), 'NOT_FOUND'],
  ['PodSandboxStats', (t, id) => t.client.podSandboxStats(id), 'NOT_FOUND'],
  ['UpdatePodSandboxResources', (t, id) => t.client.updatePodSandboxResources(id, { cpuShares: '512' }), 'NOT_FOUND'],
  ['CreateContainer', (t, id) => t.client.createContainer(id, probeContainer(), t.pod), 'NOT_FOUND'],
];

const containerIdRpcs: [string, (t: Target, id: string) => Promise<unknown>, Code][] = [
  ['ContainerStatus', (t, id) => t.client.containerStatus(id), 'NOT_FOUND'],
  ['StartContainer', (t, id) => t.client.startContainer(id), 'NOT_FOUND'],
  ['StopContainer', (t, id) => t.client.stopContainer(id, 0), 'OK'],
  ['RemoveContainer', (t, id) => t.client.removeContainer(id), 'OK'],
  ['ExecSync', (t, id) => t.client.execSync(id, ['true'], 5), 'NOT_FOUND'],
  ['Exec', (t, id) => t.client.exec({ containerId: id, cmd: ['true'], stdout: true }), 'NOT_FOUND'],
  ['Attach', (t, id) => t.client.attach({ containerId: id, stdout: true }), 'NOT_FOUND'],
  ['ContainerStats', (t, id) => t.client.containerStats(id), 'NOT_FOUND'],
  ['UpdateContainerResources', (t, id) => t.client.updateContainerResources(id, { cpuShares: '512' }), 'NOT_FOUND'],
  ['ReopenContainerLog', (t, id) => t.client.reopenContainerLog(id), 'NOT_FOUND'],
];

function idCases(rpcs: typeof podIdRpcs, kind: 'pod sandbox' | 'container', field: string): HostileCase[] {
  return rpcs.flatMap(([rpc, send, code]) =>
    badIds.map(
      ([what, id]): HostileCase => ({
        name: `${rpc} with ${what}`,
        send: (t) => send(t, id),
        code,
        ...(code === 'OK' ? {} : { field: what === 'an unknown id' ? kind : field }),
      }),
    ),
  );
}

const cases: HostileCase[] = [
  ...idCases(podIdRpcs, 'pod sandbox', 'pod_sandbox_id'),
  ...idCases(containerIdRpcs, 'container', 'container_id'),
  { name: 'PodSandboxStatus with an empty id', send: (t) => t.client.podSandboxStatus(''), code: 'INVALID_ARGUMENT', field: 'id must not be empty' },
  { name: 'ContainerStatus with an empty id', send: (t) => t.client.containerStatus(''), code: 'INVALID_ARGUMENT', field: 'id must not be empty' },

  // Pod metadata: parts of berth's names, CNI arguments and the kubelet's log directory.
  { name: 'a pod without metadata', send: (t) => t.client.runPodSandbox({ hostname: 'x' }), code: 'INVALID_ARGUMENT', field: 'metadata' },
  { name: 'a pod name with "/"', send: (t) => t.client.runPodSandbox(probePod({ metadata: { name: 'a/b', namespace: 'hostile', uid: 'u1' } })), code: 'INVALID_ARGUMENT', field: 'metadata.name' },
  { name: 'an empty pod name', send: (t) => t.client.runPodSandbox(probePod({ metadata: { name: '', namespace: 'hostile', uid: 'u1' } })), code: 'INVALID_ARGUMENT', field: 'metadata.name' },
  {
    name: 'a pod namespace with a NUL',
    send: (t) => t.client.runPodSandbox(probePod({ metadata: { name: 'probe', namespace: 'host\0ile', uid: 'u1' } })),
    code: 'INVALID_ARGUMENT',
    field: 'metadata.namespace',
  },
  {
    name: 'a pod namespace "../kube-system"',
    send: (t) => t.client.runPodSandbox(probePod({ metadata: { name: 'probe', namespace: '../kube-system', uid: 'u1' } })),
    code: 'INVALID_ARGUMENT',
    field: 'metadata.namespace',
  },
  { name: 'a pod uid ".."', send: (t) => t.client.runPodSandbox(probePod({ metadata: { name: 'probe', namespace: 'hostile', uid: '..' } })), code: 'INVALID_ARGUMENT', field: 'metadata.uid' },
  {
    name: 'a 70 KiB pod name',
    send: (t) => t.client.runPodSandbox(probePod({ metadata: { name: 'n'.repeat(70_000), namespace: 'hostile', uid: 'u1' } })),
    code: 'INVALID_ARGUMENT',
    field: 'metadata.name',
  },
  { name: 'pod labels of 10k entries (400 KB)', send: (t) => t.client.runPodSandbox(probePod({ labels: bigMap(10_000, 400_000) })), code: 'INVALID_ARGUMENT', field: 'labels' },
  { name: 'a 2 MB pod annotation', send: (t) => t.client.runPodSandbox(probePod({ annotations: { big: 'x'.repeat(2_000_000) } })), code: 'INVALID_ARGUMENT', field: 'annotations' },
  { name: 'a relative log_directory', send: (t) => t.client.runPodSandbox(probePod({ logDirectory: 'var/log/pods/x' })), code: 'INVALID_ARGUMENT', field: 'log_directory' },
  { name: 'a log_directory climbing out with ".."', send: (t) => t.client.runPodSandbox(probePod({ logDirectory: '/var/log/pods/../../../etc' })), code: 'INVALID_ARGUMENT', field: 'log_directory' },
  // Sysctls: only namespaced ones, one key each.
  { name: 'a sysctl that is not namespaced', send: (t) => t.client.runPodSandbox(probePod({ linux: { sysctls: { 'kernel.panic': '1' } } })), code: 'INVALID_ARGUMENT', field: 'linux.sysctls' },
  {
    name: 'a sysctl value smuggling a second key',
    send: (t) => t.client.runPodSandbox(probePod({ linux: { sysctls: { 'net.ipv4.ip_forward': '1\nkernel.core_pattern=|/tmp/x' } } })),
    code: 'INVALID_ARGUMENT',
    field: 'linux.sysctls',
  },
  {
    name: 'a sysctl key that is a path',
    send: (t) => t.client.runPodSandbox(probePod({ linux: { sysctls: { 'net/../../kernel/core_pattern': 'x' } } })),
    code: 'INVALID_ARGUMENT',
    field: 'linux.sysctls',
  },
  {
    name: 'a net sysctl on a host-network pod',
    send: (t) => t.client.runPodSandbox(probePod({ linux: { sysctls: { 'net.ipv4.ip_forward': '1' }, securityContext: { namespaceOptions: { network: 'NODE' } } } })),
    code: 'INVALID_ARGUMENT',
    field: 'linux.sysctls',
  },
  { name: 'a negative pod cpu_quota', send: (t) => t.client.runPodSandbox(probePod({ linux: { resources: { cpuQuota: '-5' } } })), code: 'INVALID_ARGUMENT', field: 'linux.resources: cpu_quota' },
  {
    name: 'a 1-byte pod memory limit',
    send: (t) => t.client.runPodSandbox(probePod({ linux: { resources: { memoryLimitInBytes: '1' } } })),
    code: 'INVALID_ARGUMENT',
    field: 'linux.resources.memory_limit_in_bytes',
  },

  // Container metadata and maps.
  { name: 'a container name with "/"', send: (t) => createIn(t, probeContainer({ metadata: { name: '../probe' } })), code: 'INVALID_ARGUMENT', field: 'metadata.name' },
  { name: 'a container name with a NUL', send: (t) => createIn(t, probeContainer({ metadata: { name: 'pro\0be' } })), code: 'INVALID_ARGUMENT', field: 'metadata.name' },
  { name: 'a 70 KiB container name', send: (t) => createIn(t, probeContainer({ metadata: { name: 'c'.repeat(70_000) } })), code: 'INVALID_ARGUMENT', field: 'metadata.name' },
  { name: 'container labels of 10k entries (400 KB)', send: (t) => createIn(t, probeContainer({ labels: bigMap(10_000, 400_000) })), code: 'INVALID_ARGUMENT', field: 'labels' },
  { name: 'a 2 MB container annotation', send: (t) => createIn(t, probeContainer({ annotations: { big: 'x'.repeat(2_000_000) } })), code: 'INVALID_ARGUMENT', field: 'annotations' },

  { name: 'a command with a NUL', send: (t) => createIn(t, probeContainer({ command: ['sleep\0', '1'] })), code: 'INVALID_ARGUMENT', field: 'command[0]' },
  { name: 'an env value with a NUL', send: (t) => createIn(t, probeContainer({ envs: [{ key: 'A', value: Buffer.from('x\0LD_PRELOAD=/tmp/x') }] })), code: 'INVALID_ARGUMENT', field: 'envs[0].value' },
  { name: 'an env key with "="', send: (t) => createIn(t, probeContainer({ envs: [{ key: 'LD_PRELOAD=/tmp/evil.so', value: Buffer.alloc(0) }] })), code: 'INVALID_ARGUMENT', field: 'envs[0].key' },

  // Log paths leaving the pod's log directory.
  { name: 'an absolute log_path', send: (t) => createIn(t, probeContainer({ logPath: '/etc/cron.d/evil' })), code: 'INVALID_ARGUMENT', field: 'log_path' },
  { name: 'a log_path climbing out with "../"', send: (t) => createIn(t, probeContainer({ logPath: '../../../etc/evil.log' })), code: 'INVALID_ARGUMENT', field: 'log_path' },
  { name: 'a log_path through a symlinked directory', send: (t) => createIn(t, probeContainer({ logPath: 'linked-dir/0.log' })), code: 'INVALID_ARGUMENT', field: 'log_path' },
  { name: 'a log_path that is a symlink to a file outside', send: (t) => createIn(t, probeContainer({ logPath: 'linked.log' })), code: 'INVALID_ARGUMENT', field: 'log_path' },
  { name: 'a log_path with a NUL', send: (t) => createIn(t, probeContainer({ logPath: 'probe/0.log\0x' })), code: 'INVALID_ARGUMENT', field: 'log_path' },

  // Mounts of berth's own state and of the host's kernel filesystems.
  { name: "a mount of berth's state dir", send: (t) => withMount(t, { hostPath: t.stateDir, containerPath: '/berth' }), code: 'PERMISSION_DENIED', field: 'mounts[0].host_path' },
  {
    name: "a mount inside berth's state dir",
    send: (t) => withMount(t, { hostPath: join(t.stateDir, 'containers', t.containerId), containerPath: '/b' }),
    code: 'PERMISSION_DENIED',
    field: 'mounts[0].host_path',
  },
  { name: "a mount of a symlink to berth's state dir", send: (t) => withMount(t, { hostPath: join(t.work, 'state-link'), containerPath: '/b' }), code: 'PERMISSION_DENIED', field: 'resolves to' },
  { name: 'a mount of the CRI socket', send: (t) => withMount(t, { hostPath: t.socket, containerPath: '/cri.sock' }), code: 'PERMISSION_DENIED', field: 'mounts[0].host_path' },
  { name: "a mount of the CRI socket's directory", send: (t) => withMount(t, { hostPath: dirname(t.socket), containerPath: '/run/cri' }), code: 'PERMISSION_DENIED', field: 'mounts[0].host_path' },
  { name: "a mount of berth's snapshots", send: (t) => withMount(t, { hostPath: join(t.rootDir, 'snapshots'), containerPath: '/s' }), code: 'PERMISSION_DENIED', field: 'mounts[0].host_path' },
  { name: "a mount of berth's root dir", send: (t) => withMount(t, { hostPath: t.rootDir, containerPath: '/r' }), code: 'PERMISSION_DENIED', field: 'mounts[0].host_path' },
  { name: "a writable mount of the host's /proc", send: (t) => withMount(t, { hostPath: '/proc', containerPath: '/host/proc' }), code: 'PERMISSION_DENIED', field: 'mounts[0].host_path' },
  {
    name: "a writable mount of the host's /proc/sys/kernel",
    send: (t) => withMount(t, { hostPath: '/proc/sys/kernel', containerPath: '/k' }),
    code: 'PERMISSION_DENIED',
    field: 'mounts[0].host_path',
  },
  { name: "a writable mount of the host's /sys", send: (t) => withMount(t, { hostPath: '/sys', containerPath: '/host/sys' }), code: 'PERMISSION_DENIED', field: 'mounts[0].host_path' },
  { name: "a mount over the container's /proc", send: (t) => withMount(t, { hostPath: '/tmp', containerPath: '/proc', readonly: true }), code: 'INVALID_ARGUMENT', field: 'mounts[0].container_path' },
  { name: "a mount over the container's root", send: (t) => withMount(t, { hostPath: '/tmp', containerPath: '/' }), code: 'INVALID_ARGUMENT', field: 'mounts[0].container_path' },
  { name: 'a mount with an empty host_path', send: (t) => withMount(t, { hostPath: '', containerPath: '/data' }), code: 'INVALID_ARGUMENT', field: 'mounts[0].host_path' },
  { name: 'a mount with a relative host_path', send: (t) => withMount(t, { hostPath: 'etc', containerPath: '/data' }), code: 'INVALID_ARGUMENT', field: 'mounts[0].host_path' },
  { name: 'a mount host_path with ".."', send: (t) => withMount(t, { hostPath: '/tmp/../etc', containerPath: '/data' }), code: 'INVALID_ARGUMENT', field: 'mounts[0].host_path' },
  { name: 'a mount with a relative container_path', send: (t) => withMount(t, { hostPath: '/tmp', containerPath: 'data' }), code: 'INVALID_ARGUMENT', field: 'mounts[0].container_path' },

  // Devices.
  {
    name: 'a device with an empty host_path',
    send: (t) => createIn(t, probeContainer({ devices: [{ hostPath: '', containerPath: '/dev/x', permissions: 'rw' }] })),
    code: 'INVALID_ARGUMENT',
    field: 'devices[0].host_path',
  },
  {
    name: 'a device with a relative host_path',
    send: (t) => createIn(t, probeContainer({ devices: [{ hostPath: 'dev/null', containerPath: '/dev/x', permissions: 'rw' }] })),
    code: 'INVALID_ARGUMENT',
    field: 'devices[0].host_path',
  },
  {
    name: 'a device host_path with ".."',
    send: (t) => createIn(t, probeContainer({ devices: [{ hostPath: '/dev/../etc/shadow', containerPath: '/dev/x', permissions: 'r' }] })),
    code: 'INVALID_ARGUMENT',
    field: 'devices[0].host_path',
  },
  {
    name: 'a device container_path climbing out',
    send: (t) => createIn(t, probeContainer({ devices: [{ hostPath: '/dev/null', containerPath: '../../etc/x', permissions: 'rw' }] })),
    code: 'INVALID_ARGUMENT',
    field: 'devices[0].container_path',
  },
  {
    name: 'a device that is a regular file',
    send: (t) => createIn(t, probeContainer({ devices: [{ hostPath: '/etc/passwd', containerPath: '/dev/x', permissions: 'r' }] })),
    code: 'INVALID_ARGUMENT',
    field: '/etc/passwd',
  },
  {
    name: 'a device that does not exist',
    send: (t) => createIn(t, probeContainer({ devices: [{ hostPath: '/dev/berth-no-such-device', containerPath: '/dev/x', permissions: 'r' }] })),
    code: 'NOT_FOUND',
    field: '/dev/berth-no-such-device',
  },
  {
    name: 'a device with permissions "rwxz"',
    send: (t) => createIn(t, probeContainer({ devices: [{ hostPath: '/dev/null', containerPath: '/dev/x', permissions: 'rwxz' }] })),
    code: 'INVALID_ARGUMENT',
    field: 'permissions',
  },

  // Absurd resources at create, on a live container and on the pod.
  { name: 'a negative cpu_quota', send: (t) => withResources(t, { cpuQuota: '-5' }), code: 'INVALID_ARGUMENT', field: 'cpu_quota' },
  { name: 'a cpu_period of 10 s', send: (t) => withResources(t, { cpuPeriod: '10000000' }), code: 'INVALID_ARGUMENT', field: 'cpu_period' },
  { name: 'a cpu_period of 1 µs', send: (t) => withResources(t, { cpuPeriod: '1' }), code: 'INVALID_ARGUMENT', field: 'cpu_period' },
  { name: 'a negative memory limit', send: (t) => withResources(t, { memoryLimitInBytes: '-1' }), code: 'INVALID_ARGUMENT', field: 'memory_limit_in_bytes' },
  { name: 'a 1-byte memory limit', send: (t) => withResources(t, { memoryLimitInBytes: '1' }), code: 'INVALID_ARGUMENT', field: 'memory_limit_in_bytes' },
  { name: 'cpu_shares of 10 million', send: (t) => withResources(t, { cpuShares: '10000000' }), code: 'INVALID_ARGUMENT', field: 'cpu_shares' },
  { name: 'cpu_shares of 2^63-1', send: (t) => withResources(t, { cpuShares: '9223372036854775807' }), code: 'INVALID_ARGUMENT', field: 'cpu_shares' },
  { name: 'an oom_score_adj of 5000', send: (t) => withResources(t, { oomScoreAdj: '5000' }), code: 'INVALID_ARGUMENT', field: 'oom_score_adj' },
  { name: 'an oom_score_adj of -1001', send: (t) => withResources(t, { oomScoreAdj: '-1001' }), code: 'INVALID_ARGUMENT', field: 'oom_score_adj' },
  { name: 'a 3MB huge page size', send: (t) => withResources(t, { hugepageLimits: [{ pageSize: '3MB', limit: '1048576' }] }), code: 'INVALID_ARGUMENT', field: 'hugepage_limits[0].page_size' },
  { name: 'a huge page size that is a path', send: (t) => withResources(t, { hugepageLimits: [{ pageSize: '../../memory.max', limit: '1' }] }), code: 'INVALID_ARGUMENT', field: 'hugepage size' },
  {
    name: 'a huge page size given twice',
    send: (t) =>
      withResources(t, {
        hugepageLimits: [
          { pageSize: '2MB', limit: '2097152' },
          { pageSize: '2MB', limit: '4194304' },
        ],
      }),
    code: 'INVALID_ARGUMENT',
    field: 'hugepage_limits[1].page_size',
  },
  { name: 'a cgroup v2 key that is a path', send: (t) => withResources(t, { unified: { '../../cgroup.procs': '1' } }), code: 'INVALID_ARGUMENT', field: 'unified' },
  { name: 'an update to a negative cpu_quota', send: (t) => update(t, { cpuQuota: '-5' }), code: 'INVALID_ARGUMENT', field: 'linux: cpu_quota' },
  { name: 'an update to a 1-byte memory limit', send: (t) => update(t, { memoryLimitInBytes: '1' }), code: 'INVALID_ARGUMENT', field: 'linux.memory_limit_in_bytes' },
  { name: 'an update to cpu_shares of 10 million', send: (t) => update(t, { cpuShares: '10000000' }), code: 'INVALID_ARGUMENT', field: 'linux.cpu_shares' },
  { name: 'a pod update to a 10 s cpu_period', send: (t) => t.client.updatePodSandboxResources(t.podId, { cpuPeriod: '10000000' }), code: 'INVALID_ARGUMENT', field: 'resources: cpu_period' },

  // Streaming requests with nonsense besides the id.
  { name: 'PortForward to port 70000', send: (t) => t.client.portForward(t.podId, [70_000]), code: 'INVALID_ARGUMENT', field: 'port 70000' },
  { name: 'Exec with an empty command', send: (t) => t.client.exec({ containerId: t.containerId, cmd: [], stdout: true }), code: 'INVALID_ARGUMENT', field: 'command' },
  { name: 'ExecSync with a negative timeout', send: (t) => t.client.execSync(t.containerId, ['true'], -5), code: 'INVALID_ARGUMENT', field: 'timeout' },
];

/** What a case must not change: objects, their files on disk, and mounts. */
interface Fingerprint {
  pods: string[];
  containers: string[];
  files: Record<string, string[]>;
  mounts: number;
}

async function fingerprint(): Promise<Fingerprint> {
  const t = target;
  const pods = (await t.client.listPodSandbox()).items.map((p) => `${p.id} ${p.state}`).sort();
  const containers = (await t.client.listContainers()).containers.map((c) => `${c.id} ${c.state}`).sort();
  const dirs = {
    sandboxRecords: join(t.rootDir, 'sandboxes'),
    containerRecords: join(t.rootDir, 'containers'),
    snapshots: join(t.rootDir, 'snapshots/snapshots'),
    sandboxDirs: join(t.stateDir, 'sandboxes'),
    bundles: join(t.stateDir, 'containers'),
  };
  const files = Object.fromEntries(Object.entries(dirs).map(([what, dir]) => [what, readdirSync(dir).sort()]));
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line.includes(` ${fixture.berth.workDir}/`)).length;
  return { pods, containers, files, mounts };
}

async function expectAliveAndUnchanged(): Promise<void> {
  expect(process.kill(fixture.berth.pid, 0)).toBe(true);
  expect(await target.client.version()).toMatchObject({ runtimeName: 'berth' });
  expect(await fingerprint()).toEqual(baseline);
}

async function outcomeOf(promise: Promise<unknown>): Promise<{ code: Code; message: string }> {
  try {
    await promise;
    return { code: 'OK', message: '' };
  } catch (error) {
    if (!(error instanceof CriCallError)) throw error;
    return { code: GrpcStatus[error.grpcCode] as Code, message: error.message };
  }
}

describe('hostile CRI requests', () => {
  beforeAll(() => {
    // The table must stay at least as big as the issue asks.
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, hostile) => {
    const { code, message } = await outcomeOf(hostile.send(target));
    expect(code, message).toBe(hostile.code);
    if (hostile.field !== undefined) expect(message).toContain(hostile.field);
    // The refusal quotes a short head of the value, never all of a huge one.
    expect(message.length).toBeLessThan(1_000);
    await expectAliveAndUnchanged();
  });

  it("allows a read-only mount of the host's /proc (node agents need it)", async () => {
    const { containerId } = await target.client.createContainer(
      target.podId,
      probeContainer({ metadata: { name: 'proc-reader' }, mounts: [{ hostPath: '/proc', containerPath: '/host/proc', readonly: true }] }),
      target.pod,
    );
    await target.client.removeContainer(containerId);
    await expectAliveAndUnchanged();
  });

  it('never wrote through the symlinked log paths', () => {
    expect(readFileSync(join(target.work, 'outside/victim.log'), 'utf8')).toBe('untouched\n');
    expect(readdirSync(join(target.work, 'outside'))).toEqual(['victim.log']);
  });
});

/** Of creates racing on one name, one made an object and the others waited for it: all answer its id. */
function expectOneMade(outcomes: PromiseSettledResult<string>[]): string {
  for (const outcome of outcomes) expect(outcome.status).toBe('fulfilled');
  const made = new Set(outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : [])));
  expect(made.size).toBe(1);
  return [...made][0] ?? '';
}

describe('concurrent creates and removes', () => {
  it('makes one pod of two RunPodSandbox calls with the same metadata in flight; the second waits and gets it', async () => {
    const pod = probePod({ metadata: { name: 'twin', namespace: 'hostile', uid: 'twin-uid', attempt: 0 } });
    const id = expectOneMade(await Promise.allSettled([1, 2].map(() => target.client.runPodSandbox(pod).then((r) => r.podSandboxId))));
    const twins = (await target.client.listPodSandbox()).items.filter((p) => p.metadata?.name === 'twin');
    expect(twins.map((p) => p.id)).toEqual([id]);
    await target.client.stopPodSandbox(id);
    await target.client.removePodSandbox(id);
    await expectAliveAndUnchanged();
  });

  it('makes one container of two CreateContainer calls with the same name in flight; the second waits and gets it', async () => {
    const config = probeContainer({ metadata: { name: 'twin' } });
    const id = expectOneMade(await Promise.allSettled([1, 2].map(() => target.client.createContainer(target.podId, config, target.pod).then((r) => r.containerId))));
    const twins = (await target.client.listContainers()).containers.filter((c) => c.metadata?.name === 'twin');
    expect(twins.map((c) => c.id)).toEqual([id]);
    await target.client.removeContainer(id);
    await expectAliveAndUnchanged();
  });

  it('removes a pod with a running container once when two RemovePodSandbox calls race; nothing is left', async () => {
    const pod = probePod({ metadata: { name: 'doomed', namespace: 'hostile', uid: 'doomed-uid', attempt: 0 } });
    const podId = (await target.client.runPodSandbox(pod)).podSandboxId;
    const { containerId } = await target.client.createContainer(podId, probeContainer(), pod);
    await target.client.startContainer(containerId);
    const outcomes = await Promise.all([outcomeOf(target.client.removePodSandbox(podId)), outcomeOf(target.client.removePodSandbox(podId))]);
    expect(outcomes.some((o) => o.code === 'OK')).toBe(true);
    for (const outcome of outcomes) expect(['OK', 'NOT_FOUND']).toContain(outcome.code);
    await expectAliveAndUnchanged();
    // Its netns pins and rootfs went with it, not only its records.
    const { stdout } = await execa('sh', ['-c', `grep -c -e ${podId} -e ${containerId} /proc/self/mountinfo || true`]);
    expect(stdout.trim()).toBe('0');
  });
});
