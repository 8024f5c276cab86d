// The QoS tier cgroups above the pod cgroups, sized as the upstream kubelet sizes them
// (pkg/kubelet/cm qos_container_manager and node allocatable enforcement, cgroupfs driver):
//
//   <kubepods>             cpu shares of the node allocatable cpu, memory limit of the node
//                          allocatable memory (capacity − kube-reserved − system-reserved; the
//                          eviction threshold is left in, so eviction comes before the OOM killer)
//   <kubepods>/burstable   cpu shares of the summed cpu requests of the Burstable pods
//   <kubepods>/besteffort  the minimum cpu shares (2)
//
// Without them a BestEffort pod competes for CPU with the weight of a whole core, and the pods
// together are not held below what the node keeps for itself. Guaranteed pods sit directly below
// <kubepods>, each with its own limits.
import type { V1Pod } from '@kubernetes/client-node';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../common/logger.js';
import { cpuToShares, maxShares, minShares, podCpuRequests } from './pod-cgroup.js';
import { podQosClass } from './resources.js';

/** What one tier cgroup gets: cpu shares, and a memory limit where one applies. */
export interface TierSettings {
  cpuShares: number;
  memoryBytes?: number;
}

export interface NodeAllocatableForPods {
  cpuMilli: number;
  memoryBytes: number;
}

/**
 * Pure: each tier's settings, keyed by cgroup path. `allocatable` is what node allocatable
 * enforcement holds the pods to; undefined when it is off (--enforce-node-allocatable=none).
 */
export function qosTierSettings(kubepods: string, pods: readonly V1Pod[], allocatable: NodeAllocatableForPods | undefined): Map<string, TierSettings> {
  const base = kubepods.replace(/\/+$/, '');
  const burstableCpus = pods.filter((pod) => podQosClass(pod) === 'Burstable').reduce((sum, pod) => sum + podCpuRequests(pod), 0);
  const tiers = new Map<string, TierSettings>();
  if (allocatable) tiers.set(base, { cpuShares: cpuToShares(allocatable.cpuMilli / 1000), memoryBytes: allocatable.memoryBytes });
  tiers.set(`${base}/burstable`, { cpuShares: cpuToShares(burstableCpus) });
  tiers.set(`${base}/besteffort`, { cpuShares: minShares });
  return tiers;
}

/** cpu.shares → cpu.weight, the conversion runc, crun and berth's runtime use on cgroup v2. */
export function sharesToWeight(shares: number): number {
  const clamped = Math.min(maxShares, Math.max(minShares, Math.trunc(shares)));
  return 1 + Math.trunc(((clamped - minShares) * 9999) / (maxShares - minShares));
}

/** Writes tier settings into cgroupfs (v1 or v2); creates the tier directories it needs. */
export interface TierCgroupWriter {
  write(path: string, settings: TierSettings): Promise<void>;
}

export function cgroupfsTierWriter(root = '/sys/fs/cgroup'): TierCgroupWriter {
  let unified: Promise<boolean> | undefined;
  const isUnified = (): Promise<boolean> =>
    (unified ??= access(join(root, 'cgroup.controllers')).then(
      () => true,
      () => false,
    ));
  return {
    async write(path, settings) {
      if (!path.startsWith('/') || path.split('/').includes('..')) throw new Error(`tier cgroup ${JSON.stringify(path)} is not an absolute cgroup path`);
      if (await isUnified()) {
        // Each ancestor hands cpu and memory down, or the tier has no cpu.weight to write.
        const segments = path.split('/').filter((s) => s !== '');
        for (let depth = 0; depth < segments.length; depth++) {
          const dir = join(root, ...segments.slice(0, depth));
          if (depth > 0) await mkdir(dir, { recursive: true });
          await writeFile(join(dir, 'cgroup.subtree_control'), '+cpu +memory').catch(() => undefined);
        }
        const dir = join(root, path);
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, 'cpu.weight'), String(sharesToWeight(settings.cpuShares)));
        if (settings.memoryBytes !== undefined) await writeFile(join(dir, 'memory.max'), String(settings.memoryBytes));
        return;
      }
      const cpuDir = join(root, 'cpu', path);
      await mkdir(cpuDir, { recursive: true });
      await writeFile(join(cpuDir, 'cpu.shares'), String(settings.cpuShares));
      if (settings.memoryBytes !== undefined) {
        const memoryDir = join(root, 'memory', path);
        await mkdir(memoryDir, { recursive: true });
        await writeFile(join(memoryDir, 'memory.limit_in_bytes'), String(settings.memoryBytes));
      }
    },
  };
}

/** Keeps the tiers in step with the admitted pods; writes only what changed since the last time. */
export class QosCgroups {
  private readonly written = new Map<string, string>();
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      kubepods: string;
      allocatable: NodeAllocatableForPods | undefined;
      writer: TierCgroupWriter;
      logger: Logger;
    },
  ) {}

  /** Resizes the tiers for `pods` (the pods that hold resources now); serialised, never throws. */
  update(pods: readonly V1Pod[]): Promise<void> {
    const tiers = qosTierSettings(this.deps.kubepods, pods, this.deps.allocatable);
    this.pending = this.pending.then(async () => {
      for (const [path, settings] of tiers) {
        const key = JSON.stringify(settings);
        if (this.written.get(path) === key) continue;
        try {
          await this.deps.writer.write(path, settings);
          this.written.set(path, key);
          this.deps.logger.debug({ cgroup: path, ...settings }, 'QoS tier cgroup sized');
        } catch (error) {
          this.deps.logger.warn({ cgroup: path, err: (error as Error).message }, 'cannot size the QoS tier cgroup');
        }
      }
    });
    return this.pending;
  }
}
