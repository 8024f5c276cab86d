// The Node object and its status, built from injected facts (pure), and the reporter that posts
// it the way the upstream kubelet does: computed every 10 s, written only when something other
// than heartbeat times changed or when 5 min passed since the last write; the Lease (lease.ts)
// is the liveness signal in between.
import type { V1Node, V1NodeCondition, V1NodeStatus, V1Taint } from '@kubernetes/client-node';
import { errorMessage, InvalidArgumentError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { NodeApi } from './api-port.js';
import type { KubeletConfig, Reservation } from './config.js';
import type { CriPort } from './cri-port.js';
import type { MachineFacts } from './machine-facts.js';
import { parseQuantity } from './resources.js';

export interface RuntimeFacts {
  /** `<runtimeName>://<runtimeVersion>` from CRI Version, e.g. containerd://1.6.20 */
  containerRuntimeVersion: string;
  runtimeReady: boolean;
  networkReady: boolean;
  /** Why the runtime is not ready; empty when it is. */
  notReadyMessage: string;
}

/**
 * Hard eviction thresholds (upstream defaults: memory.available<100Mi, nodefs.available<10%).
 * Upstream sets no PID threshold by default; berth reports PIDPressure below 5 % free PIDs.
 */
export const evictionThresholds = { memoryAvailableBytes: 100 * 1024 * 1024, nodefsAvailableRatio: 0.1, pidAvailableRatio: 0.05 };

type NodeIdentity = Pick<KubeletConfig, 'nodeName' | 'nodeIp' | 'maxPods' | 'kubeletVersion'> & {
  /** Labels the Node registers with besides the well-known ones (upstream --node-labels). */
  nodeLabels?: KubeletConfig['nodeLabels'];
  /** Taints to register the Node with; none when left out. */
  registerWithTaints?: KubeletConfig['registerWithTaints'];
  /** The kubelet API's port, advertised as daemonEndpoints.kubeletEndpoint for API servers. */
  kubeletPort?: number | undefined;
  /** Set aside for Kubernetes daemons and the system (upstream --kube-reserved, --system-reserved). */
  kubeReserved?: KubeletConfig['kubeReserved'];
  systemReserved?: KubeletConfig['systemReserved'];
};

/**
 * `cpu=200m,memory=500Mi,ephemeral-storage=1Gi` (upstream's --kube-reserved/--system-reserved
 * syntax) → a reservation; unknown resources and values that are not quantities are refused.
 */
export function parseReservation(text: string, flag: string): Reservation {
  const out: Reservation = {};
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const [name = '', value = ''] = pair.split('=');
    if (name !== 'cpu' && name !== 'memory' && name !== 'ephemeral-storage') {
      throw new InvalidArgumentError(`${flag}: ${JSON.stringify(name)} cannot be reserved; use cpu, memory or ephemeral-storage`);
    }
    const amount = parseQuantity(value);
    if (amount === undefined || amount < 0) throw new InvalidArgumentError(`${flag}: ${name}=${value} is not a quantity like 500m or 1Gi`);
    out[name] = value;
  }
  return out;
}

function reserved(config: Pick<NodeIdentity, 'kubeReserved' | 'systemReserved'>, resource: keyof Reservation): number {
  return (parseQuantity(config.kubeReserved?.[resource]) ?? 0) + (parseQuantity(config.systemReserved?.[resource]) ?? 0);
}

/**
 * Allocatable cpu and memory, upstream's rule: capacity − kube-reserved − system-reserved − the
 * hard eviction threshold (memory), hugepages apart. Shared by the Node status and admission.
 */
export function allocatableAmounts(
  config: Pick<NodeIdentity, 'kubeReserved' | 'systemReserved'>,
  machine: { cpuCount: number; memoryBytes: number; hugepagesBytes: number },
): { cpuMilli: number; memoryBytes: number } {
  const forPods = podsCgroupAmounts(config, machine);
  return { cpuMilli: forPods.cpuMilli, memoryBytes: Math.max(0, forPods.memoryBytes - evictionThresholds.memoryAvailableBytes) };
}

/**
 * What the pods' cgroup is held to when node allocatable is enforced: capacity − the
 * reservations, without the eviction threshold, so the kubelet evicts before the kernel OOM-kills.
 */
export function podsCgroupAmounts(
  config: Pick<NodeIdentity, 'kubeReserved' | 'systemReserved'>,
  machine: { cpuCount: number; memoryBytes: number; hugepagesBytes: number },
): { cpuMilli: number; memoryBytes: number } {
  return {
    cpuMilli: Math.max(0, machine.cpuCount * 1000 - reserved(config, 'cpu') * 1000),
    memoryBytes: Math.max(0, machine.memoryBytes - reserved(config, 'memory') - machine.hugepagesBytes),
  };
}

/** Millicores as the API writes them: whole cores plain, else with m. */
function cpuQuantity(milli: number): string {
  const clamped = Math.max(0, Math.floor(milli));
  return clamped % 1000 === 0 ? String(clamped / 1000) : `${clamped}m`;
}

const ki = (bytes: number): string => `${Math.floor(bytes / 1024)}Ki`;

/** Times in status are kept to whole seconds: the API stores no more, so diffs stay stable. */
export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/** "key=value,key2=value2" (upstream --node-labels) → labels; refuses a pair without "=". */
export function parseNodeLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new InvalidArgumentError(`node label ${JSON.stringify(pair)} is not key=value`);
    labels[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return labels;
}

export function nodeLabels(config: Pick<KubeletConfig, 'nodeName'> & { nodeLabels?: Record<string, string> }, machine: Pick<MachineFacts, 'architecture'>): Record<string, string> {
  return {
    ...config.nodeLabels,
    'kubernetes.io/hostname': config.nodeName,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': machine.architecture,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': machine.architecture,
  };
}

export async function readRuntimeFacts(cri: Pick<CriPort, 'version' | 'status'>): Promise<RuntimeFacts> {
  const [version, status] = await Promise.all([cri.version(), cri.status()]);
  const conditions = status.status?.conditions ?? [];
  const condition = (type: string) => conditions.find((c) => c.type === type);
  const problems = ['RuntimeReady', 'NetworkReady']
    .map((type) => ({ type, found: condition(type) }))
    .filter(({ found }) => !found?.status)
    .map(({ type, found }) => `${type}=false reason:${found?.reason ?? 'absent'} message:${found?.message ?? ''}`);
  return {
    containerRuntimeVersion: `${version.runtimeName}://${version.runtimeVersion}`,
    runtimeReady: condition('RuntimeReady')?.status ?? false,
    networkReady: condition('NetworkReady')?.status ?? false,
    notReadyMessage: problems.length === 0 ? '' : `container runtime not ready: ${problems.join('; ')}`,
  };
}

interface ConditionValue {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

function conditionValues(machine: MachineFacts, runtime: RuntimeFacts): ConditionValue[] {
  const memoryPressure = machine.memoryAvailableBytes < evictionThresholds.memoryAvailableBytes;
  const diskPressure = machine.rootFsAvailableBytes < machine.rootFsCapacityBytes * evictionThresholds.nodefsAvailableRatio;
  const pidPressure = machine.pidMax - machine.processCount < machine.pidMax * evictionThresholds.pidAvailableRatio;
  const ready = runtime.runtimeReady && runtime.networkReady;
  const pressure = (type: string, under: boolean, what: string): ConditionValue =>
    under
      ? { type, status: 'True', reason: `KubeletHas${what}Pressure`, message: `kubelet has ${what.toLowerCase()} pressure` }
      : { type, status: 'False', reason: `KubeletHasSufficient${what === 'Disk' ? 'Disk' : what}`, message: `kubelet has sufficient ${what.toLowerCase()} available` };
  return [
    pressure('MemoryPressure', memoryPressure, 'Memory'),
    diskPressure
      ? { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' }
      : { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    pressure('PIDPressure', pidPressure, 'PID'),
    ready
      ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
      : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: runtime.notReadyMessage },
  ];
}

export interface NodeStatusInput {
  config: NodeIdentity;
  machine: MachineFacts;
  runtime: RuntimeFacts;
  /** The status posted last; a condition keeps its lastTransitionTime while its status holds. */
  previous: V1NodeStatus | undefined;
  now: Date;
  /** Device counts by extended resource name (nvidia.com/gpu), advertised in capacity and allocatable. */
  extendedResources?: Readonly<Record<string, number>>;
}

export function buildNodeStatus({ config, machine, runtime, previous, now, extendedResources = {} }: NodeStatusInput): V1NodeStatus {
  const at = wholeSeconds(now);
  const hugepages2Mi = machine.hugepages2MiBytes;
  const capacity: Record<string, string> = {
    cpu: String(machine.cpuCount),
    memory: ki(machine.memoryBytes),
    pods: String(config.maxPods),
    'ephemeral-storage': ki(machine.rootFsCapacityBytes),
    'hugepages-2Mi': ki(hugepages2Mi),
    // A resource whose devices are gone shows 0: the status is a strategic merge patch, which
    // would keep an old count for a key left out.
    ...Object.fromEntries(Object.entries(extendedResources).map(([name, count]) => [name, String(Math.max(0, count))])),
  };
  // Upstream: allocatable = capacity − kube-reserved − system-reserved − hard eviction threshold.
  const amounts = allocatableAmounts(config, { cpuCount: machine.cpuCount, memoryBytes: machine.memoryBytes, hugepagesBytes: hugepages2Mi });
  const allocatable: Record<string, string> = {
    ...capacity,
    cpu: cpuQuantity(amounts.cpuMilli),
    memory: ki(amounts.memoryBytes),
    'ephemeral-storage': ki(Math.max(0, machine.rootFsCapacityBytes * (1 - evictionThresholds.nodefsAvailableRatio) - reserved(config, 'ephemeral-storage'))),
  };
  const conditions: V1NodeCondition[] = conditionValues(machine, runtime).map((value) => {
    const before = previous?.conditions?.find((c) => c.type === value.type);
    return {
      ...value,
      lastHeartbeatTime: at,
      lastTransitionTime: before?.status === value.status && before.lastTransitionTime ? before.lastTransitionTime : at,
    };
  });
  return {
    capacity,
    allocatable,
    conditions,
    addresses: [
      { type: 'InternalIP', address: config.nodeIp },
      { type: 'Hostname', address: config.nodeName },
    ],
    ...(config.kubeletPort ? { daemonEndpoints: { kubeletEndpoint: { Port: config.kubeletPort } } } : {}),
    nodeInfo: {
      machineID: machine.machineId,
      systemUUID: machine.machineId,
      bootID: machine.bootId,
      kernelVersion: machine.kernelVersion,
      osImage: machine.osImage,
      containerRuntimeVersion: runtime.containerRuntimeVersion,
      kubeletVersion: config.kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: machine.architecture,
    },
  };
}

/** Whether `next` says anything `previous` did not, heartbeat times aside. */
export function nodeStatusChanged(previous: V1NodeStatus | undefined, next: V1NodeStatus): boolean {
  if (!previous) return true;
  const strip = (status: V1NodeStatus): string => JSON.stringify({ ...status, conditions: status.conditions?.map(({ lastHeartbeatTime: _, ...rest }) => rest) });
  return strip(previous) !== strip(next);
}

export function nodeObject(config: NodeIdentity, machine: MachineFacts, status: V1NodeStatus): V1Node {
  const spec = config.registerWithTaints?.length ? { taints: config.registerWithTaints } : {};
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: config.nodeName, labels: nodeLabels(config, machine) }, spec, status };
}

export interface NodeStatusReporterDeps {
  api: NodeApi;
  cri: Pick<CriPort, 'version' | 'status'>;
  config: NodeIdentity & Pick<KubeletConfig, 'timings'>;
  readMachine: () => Promise<MachineFacts>;
  /** Device counts by extended resource name, read each round. */
  extendedResources?: () => Readonly<Record<string, number>>;
  logger: Logger;
  now?: () => Date;
}

export class NodeStatusReporter {
  private posted: V1NodeStatus | undefined;
  /** The Node as last read from the API (registration, then every status round). */
  private node: V1Node | undefined;
  private postedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => Date;

  constructor(private readonly deps: NodeStatusReporterDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Creates (or adopts) the Node object; returns it with its uid, which the Lease points at. */
  async register(): Promise<V1Node> {
    const status = await this.compute();
    const node = await this.deps.api.registerNode(nodeObject(this.deps.config, await this.deps.readMachine(), status));
    this.node = node;
    await this.post(status);
    this.deps.logger.info({ node: this.deps.config.nodeName, uid: node.metadata?.uid }, 'node registered');
    return node;
  }

  /** One status round: posts when changed or when the report period has passed. */
  async tick(): Promise<'posted' | 'unchanged'> {
    // As upstream reads its Node each round: admission needs the taints people set since.
    this.node = await this.deps.api.readNode(this.deps.config.nodeName);
    const status = await this.compute();
    const due = this.now().getTime() - this.postedAt >= this.deps.config.timings.nodeStatusReportMs;
    if (!due && !nodeStatusChanged(this.posted, status)) return 'unchanged';
    await this.post(status);
    return 'posted';
  }

  start(): void {
    const loop = async (): Promise<void> => {
      try {
        await this.tick();
      } catch (error) {
        this.deps.logger.warn({ err: errorMessage(error) }, 'node status update failed; retrying next period');
      }
      if (this.timer) this.timer = setTimeout(() => void loop(), this.deps.config.timings.nodeStatusUpdateMs);
    };
    this.timer = setTimeout(() => void loop(), this.deps.config.timings.nodeStatusUpdateMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The Node's taints as last read (registration's until the first status round). */
  taints(): V1Taint[] {
    return this.node?.spec?.taints ?? [];
  }

  private async compute(): Promise<V1NodeStatus> {
    const [machine, runtime] = await Promise.all([this.deps.readMachine(), readRuntimeFacts(this.deps.cri)]);
    const extendedResources = this.deps.extendedResources?.() ?? {};
    return buildNodeStatus({ config: this.deps.config, machine, runtime, previous: this.posted, now: this.now(), extendedResources });
  }

  private async post(status: V1NodeStatus): Promise<void> {
    await this.deps.api.patchNodeStatus(this.deps.config.nodeName, status);
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== this.posted?.conditions?.find((c) => c.type === 'Ready')?.status) {
      this.deps.logger.info({ node: this.deps.config.nodeName, ready: ready?.status, reason: ready?.reason }, 'node readiness changed');
    }
    this.posted = status;
    this.postedAt = this.now().getTime();
  }
}
