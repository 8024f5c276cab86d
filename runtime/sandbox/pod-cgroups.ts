// The pod's cgroup and where its containers' cgroups go, on top of the cgroup layer: the rule
// RunPodSandbox, CreateContainer and the spec port share. A pod that names a cgroup_parent (the
// kubelet: kubepods/burstable/pod<uid>) lives there; a pod that names none (berth run, crictl)
// gets a cgroup of its own below berth's shared default parent, which therefore never carries
// one pod's limits. Each container goes below its pod's cgroup.
import type { Cgroups } from '../cgroups/cgroups.js';
import { defaultPodCgroupPath, defaultPodParent, ociCgroupsPathOf, resolveParent } from '../cgroups/layout.js';
import { hugetlbUnusableReason, withoutUnusableHugepages } from '../cgroups/hugetlb-support.js';
import type { Limits } from '../cgroups/limits.js';
import { limitsFromCri, podLimitsFromCri } from '../containers/cri-limits.js';
import type { CgroupAnchors } from '../cgroups/own-cgroup.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { ContainerCgroupPort } from '../containers/container-ports.js';
import type { SandboxCgroupPort } from './sandbox-ports.js';
import type { SandboxRecord } from './sandbox-record.js';

/** What placement reads of a sandbox. */
type PodOf = Pick<SandboxRecord, 'config' | 'cgroupPath'>;

/**
 * Where a container's cgroup goes: below its pod's cgroup as RunPodSandbox recorded it (the
 * cgroup_parent read by the cgroup layer's rule, or the pod's own cgroup below "berth" for a pod
 * without one); a sandbox recorded before berth kept pod cgroups uses its parent, or "berth".
 * The spec port gives runc the OCI form of the same place; the cgroup port reads and updates it
 * by the layer's path.
 */
export function containerCgroupPlacement(anchors: CgroupAnchors) {
  const path = (sandbox: PodOf, containerId: string): string => {
    const pod = sandbox.cgroupPath ?? resolveParent(sandbox.config.linux?.cgroupParent || defaultPodParent, anchors).path;
    return `${pod}/berth-${containerId}`;
  };
  return {
    path,
    ociPath: (sandbox: PodOf, containerId: string): string => ociCgroupsPathOf(path(sandbox, containerId), anchors),
  };
}

/**
 * Live updates of a container's cgroup. Hugepage limits are dropped where the layout cannot apply
 * them (hugetlb-support.ts), as the spec builder drops them at create.
 */
export function containerCgroupPort(cgroups: Cgroups, placement: ReturnType<typeof containerCgroupPlacement>, anchors: CgroupAnchors): ContainerCgroupPort {
  const hugetlbUnusable = hugetlbUnusableReason(anchors);
  return {
    pathFor: placement.path,
    stats: (path) => cgroups.stats(path),
    oomEvents: (path) => cgroups.oomEvents(path),
    update: (path, resources) => cgroups.update(path, withoutUnusableHugepages(limitsFromCri(resources), hugetlbUnusable)),
    remove: (path) => cgroups.remove(path),
  };
}

/**
 * The pod's cgroup at its cgroup_parent (placed by the same rule as its containers), with the
 * pod-level limits. A sandbox without a parent gets a cgroup of its own below "berth", so its
 * limits never land on the parent every parentless pod shares. Hugepage limits are dropped where
 * the layout cannot apply them (hugetlb-support.ts).
 */
export function sandboxCgroupPort(cgroups: Cgroups, anchors: CgroupAnchors): SandboxCgroupPort {
  const hasLimits = (limits: Limits): boolean => Object.keys(limits).length > 0;
  const hugetlbUnusable = hugetlbUnusableReason(anchors);
  const podLimits = (resources: Parameters<typeof podLimitsFromCri>[0]): Limits => withoutUnusableHugepages(podLimitsFromCri(resources), hugetlbUnusable);
  return {
    create: async (cgroupParent, sandboxId, resources) => {
      const limits = podLimits(resources);
      const path = cgroupParent ? resolveParent(cgroupParent, anchors).path : defaultPodCgroupPath(sandboxId);
      await cgroups.create(path);
      if (hasLimits(limits)) await cgroups.apply(path, limits);
      return path;
    },
    update: (path, resources) => cgroups.update(path, podLimits(resources)),
    remove: (path) => cgroups.remove(path),
    usage: async (path) => {
      const [stats, oom] = await Promise.all([cgroups.stats(path).catch(() => undefined), cgroups.oomEvents(path).catch(() => undefined)]);
      return { stats, oom };
    },
  };
}

/**
 * Berth before each parentless pod had a cgroup of its own wrote such a pod's limits on the shared
 * parent itself, where they outlived the pod and capped every pod below it. At start, "no limit"
 * goes back there: no node setting puts limits on this parent, so it holds none.
 */
export async function clearSharedParentLimits(cgroups: Cgroups, logger: Logger): Promise<void> {
  try {
    const cleared = await cgroups.clearLimits(defaultPodParent);
    if (cleared.length > 0) {
      logger.warn({ cgroup: defaultPodParent, files: cleared }, 'cleared pod limits an earlier berth left on the shared parent cgroup');
    }
  } catch (error) {
    logger.warn({ cgroup: defaultPodParent, error: errorMessage(error) }, 'the shared parent cgroup keeps limits a pod left there: they could not be cleared');
  }
}
