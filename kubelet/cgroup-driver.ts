// The kubelet's cgroup driver: which one it uses (its own setting against the runtime's answer to
// RuntimeConfig), and, with systemd, the QoS tiers and pod cgroups as slices made, sized and
// removed through systemd (common/systemd/systemd-units.ts), as the upstream kubelet's systemd
// cgroup manager does:
//
//   kubepods.slice                                  the pods' cgroup (node allocatable)
//   kubepods-burstable.slice, kubepods-besteffort.slice
//   kubepods-burstable-pod<uid, "-" as "_">.slice   each pod; Guaranteed pods in kubepods.slice
//
// The runtime gets the pod's slice name as the sandbox's cgroup_parent and puts each container's
// scope in it. With cgroupfs nothing here runs: the tiers are written as files (qos-cgroups.ts),
// the runtime makes the pod cgroup and the kubelet only removes what runc left (pod-cgroup-dirs.ts).
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { LinuxContainerResources } from '../api/cri/messages.js';
import { FailedPreconditionError, errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { expandSlice, isSliceName, sliceNameOf, type CgroupDriver } from '../common/systemd/slice-names.js';
import type { SystemdUnits } from '../common/systemd/systemd-units.js';
import { unitPropertiesFor, type UnitLimits } from '../common/systemd/unit-properties.js';
import { cgroupfsPodCleaner, type PodCgroupCleaner } from './pod-cgroup-dirs.js';
import type { TierCgroupWriter } from './qos-cgroups.js';

/** What the runtime's RuntimeConfig says of its driver: the CRI enum's name, or undefined where it did not answer. */
export type RuntimeDriverAnswer = 'CGROUPFS' | 'SYSTEMD' | undefined;

/**
 * Pure: the driver the kubelet runs with. The runtime's answer decides where the kubelet set
 * none (the upstream kubelet >= 1.28 takes it from the runtime: KubeletCgroupDriverFromCRI). Where
 * both are given and differ the node would put pods in one tree and their containers in the
 * other: refused, naming both and what to change.
 */
export function resolveCgroupDriver(configured: CgroupDriver | undefined, runtimeAnswer: RuntimeDriverAnswer, runtimeEndpoint: string): CgroupDriver {
  const runtime: CgroupDriver | undefined = runtimeAnswer === 'SYSTEMD' ? 'systemd' : runtimeAnswer === 'CGROUPFS' ? 'cgroupfs' : undefined;
  if (configured !== undefined && runtime !== undefined && configured !== runtime) {
    throw new FailedPreconditionError(
      `cgroup driver mismatch: the kubelet is configured with cgroupDriver ${configured}, but the container runtime on ${runtimeEndpoint} uses the ${runtime} driver (its RuntimeConfig); ` +
        `set the same driver on both (berth runtime --cgroup-driver ${configured}, or the kubelet's cgroupDriver/--cgroup-driver ${runtime})`,
    );
  }
  return configured ?? runtime ?? 'cgroupfs';
}

/** The cgroup version systemd runs the node with, for the property names (MemoryLimit vs MemoryMax). */
async function cgroupVersion(root: string): Promise<'v1' | 'v2'> {
  return access(join(root, 'cgroup.controllers')).then(
    () => 'v2' as const,
    () => 'v1' as const,
  );
}

function memoize<T>(fn: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= fn());
}

/** QoS tiers as slices: "/kubepods/burstable" is kubepods-burstable.slice, sized through systemd. */
export function systemdTierWriter(units: SystemdUnits, root = '/sys/fs/cgroup'): TierCgroupWriter {
  const version = memoize(() => cgroupVersion(root));
  return {
    async write(path, settings) {
      await units.ensureSlice(sliceNameOf(path), unitPropertiesFor({ cpuShares: settings.cpuShares, memoryBytes: settings.memoryBytes }, await version()));
    },
  };
}

/** CRI resources (strings of int64) as the limits systemd takes. */
function unitLimitsOf(resources: LinuxContainerResources | undefined): UnitLimits {
  const number = (value: unknown): number | undefined => {
    const n = typeof value === 'string' || typeof value === 'number' ? Number(value) : Number.NaN;
    return Number.isFinite(n) && n !== 0 ? n : undefined;
  };
  return {
    cpuShares: number(resources?.cpuShares),
    cpuQuotaUs: number(resources?.cpuQuota),
    cpuPeriodUs: number(resources?.cpuPeriod),
    memoryBytes: number(resources?.memoryLimitInBytes),
  };
}

/**
 * Pod slices: made with the pod's limits before its sandbox (the runtime puts the containers'
 * scopes in it), stopped once its sandboxes are removed. systemd removes the directories it made;
 * the ones runc made in hierarchies systemd does not manage (cpuset, freezer, ... on v1) are
 * removed after it, empty ones only.
 */
export function systemdPodCgroups(units: SystemdUnits, logger: Logger, root = '/sys/fs/cgroup'): PodCgroupCleaner {
  const version = memoize(() => cgroupVersion(root));
  const leftovers = cgroupfsPodCleaner(logger, root);
  return {
    async ensure(parent, resources) {
      if (!isSliceName(parent)) return;
      await units.ensureSlice(parent, unitPropertiesFor(unitLimitsOf(resources), await version()));
    },
    async remove(parent) {
      if (!isSliceName(parent)) return;
      try {
        await units.stopUnit(parent);
      } catch (error) {
        logger.warn({ slice: parent, err: errorMessage(error) }, 'cannot stop the pod slice');
        return;
      }
      await leftovers.remove(`/${expandSlice(parent)}`);
    },
  };
}

export type { CgroupDriver };
