// CRI ContainerStats and ListContainerStats: the container's cgroup counters and writable layer,
// read when asked (runtime/containers/container-usage.ts). Parts berth cannot read (the cgroup of
// a container whose OCI runtime state is gone) are sent with their timestamp and no values.
import type {
  ContainerStats,
  ContainerStatsRequest__Output,
  ContainerStatsResponse,
  ListContainerStatsRequest__Output,
  ListContainerStatsResponse,
  PsiData,
  PsiStats,
} from '../../api/cri/messages.js';
import type { Pressure, PsiData as CgroupPsiData } from '../../runtime/cgroups/stats.js';
import type { ContainerRecord } from '../../runtime/containers/container-record.js';
import type { ContainerUsage } from '../../runtime/containers/container-usage.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { matchesLabels } from './to-cri.js';
import { checkId } from '../validation/fields.js';

const value = (n: number | bigint | undefined): { value: string } | null => (n === undefined ? null : { value: String(n) });

const psiData = (data: CgroupPsiData): PsiData => ({ Total: String(data.totalNanos), Avg10: data.avg10, Avg60: data.avg60, Avg300: data.avg300 });

/** A v2 *.pressure file as the CRI's PsiStats; null where the kernel keeps no PSI (v1, psi=0). */
export function toPsiStats(pressure: Pressure | undefined): PsiStats | null {
  if (!pressure) return null;
  return { Some: psiData(pressure.some), Full: pressure.full ? psiData(pressure.full) : null };
}

export function toContainerStats(record: ContainerRecord, usage: ContainerUsage): ContainerStats {
  const timestamp = String(usage.timestampNanos);
  const cpu = usage.cgroup?.cpu;
  const memory = usage.cgroup?.memory;
  const limit = Number(record.resources?.memoryLimitInBytes ?? 0);
  const psi = usage.cgroup?.psi;
  return {
    attributes: { id: record.id, metadata: record.config.metadata, labels: record.labels, annotations: record.config.annotations },
    cpu: { timestamp, usageCoreNanoSeconds: value(cpu?.usageNanos), usageNanoCores: value(usage.usageNanoCores), psi: toPsiStats(psi?.cpu) },
    memory: {
      timestamp,
      workingSetBytes: value(memory?.workingSetBytes),
      availableBytes: memory && limit > 0 ? value(Math.max(0, limit - memory.workingSetBytes)) : null,
      usageBytes: value(memory?.usageBytes),
      rssBytes: value(memory?.rssBytes),
      pageFaults: value(memory?.pageFaults),
      majorPageFaults: value(memory?.majorPageFaults),
      psi: toPsiStats(psi?.memory),
    },
    io: psi?.io ? { timestamp, psi: toPsiStats(psi.io) } : null,
    writableLayer: usage.writableLayer
      ? {
          timestamp,
          fsId: { mountpoint: usage.writableLayer.mountpoint },
          usedBytes: value(usage.writableLayer.usedBytes),
          inodesUsed: value(usage.writableLayer.inodesUsed),
        }
      : null,
  };
}

export function containerStats(runtime: Runtime): UnaryHandler<ContainerStatsRequest__Output, ContainerStatsResponse> {
  return async (request) => {
    checkId('container_id', request.containerId);
    const record = runtime.containers.get(request.containerId);
    return { stats: toContainerStats(record, await runtime.containers.usage(record.id)) };
  };
}

export function listContainerStats(runtime: Runtime): UnaryHandler<ListContainerStatsRequest__Output, ListContainerStatsResponse> {
  return async (request) => {
    const filter = request.filter;
    const records = (await runtime.containers.list())
      .filter((c) => !filter?.id || c.id.startsWith(filter.id))
      .filter((c) => !filter?.podSandboxId || c.sandboxId.startsWith(filter.podSandboxId))
      .filter((c) => !filter?.labelSelector || matchesLabels(c.labels ?? {}, filter.labelSelector));
    // One read pass per container, all at once: each is a handful of small cgroupfs reads.
    const stats = await Promise.all(
      records.map(async (record) => {
        const usage = await runtime.containers.usage(record.id).catch(() => undefined);
        return usage ? toContainerStats(record, usage) : undefined;
      }),
    );
    return { stats: stats.filter((s): s is ContainerStats => s !== undefined) };
  };
}
