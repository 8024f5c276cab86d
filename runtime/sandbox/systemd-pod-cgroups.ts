// The pod and container cgroups under the systemd cgroup driver (--cgroup-driver systemd), the
// counterpart of pod-cgroups.ts. systemd owns the cgroup tree here: a pod's cgroup is a slice
// (the kubelet's "kubepods-burstable-pod<uid>.slice", or "berth-pod<sandbox id>.slice" for a pod
// without a cgroup_parent), started through systemd with the pod's limits as unit properties;
// each container is the scope runc or crun makes in it ("<slice>:cri-berth:<id>" →
// cri-berth-<id>.scope). berth still reads stats and writes what systemd has no property for
// (cpusets, hugepages, swap, unified files) in the directories systemd made, found from the
// hierarchy roots (the cgroup layer is opened with root anchors in this mode): on a v1 host
// systemd lays the slice out as /<controller>/kubepods.slice/kubepods-burstable.slice/... in
// every hierarchy it manages, and runc mkdirs the same path in the others.
import { FailedPreconditionError, InvalidArgumentError } from '../../common/errors.js';
import { expandSlice, isSliceName, scopeCgroupPath, systemdCgroupsPath } from '../../common/systemd/slice-names.js';
import type { SystemdUnits } from '../../common/systemd/systemd-units.js';
import { unitPropertiesFor } from '../../common/systemd/unit-properties.js';
import type { Cgroups } from '../cgroups/cgroups.js';
import { hugetlbUnusableReason, withoutUnusableHugepages } from '../cgroups/hugetlb-support.js';
import type { Limits } from '../cgroups/limits.js';
import type { CgroupAnchors } from '../cgroups/own-cgroup.js';
import { limitsFromCri, podLimitsFromCri } from '../containers/cri-limits.js';
import type { ContainerCgroupPort } from '../containers/container-ports.js';
import type { SandboxCgroupPort } from './sandbox-ports.js';
import type { SandboxRecord } from './sandbox-record.js';

/** The scope prefix of berth's containers, as containerd's is cri-containerd and CRI-O's crio. */
export const scopePrefix = 'cri-berth';

/** The slice of a pod without a cgroup_parent: its own, in berth.slice, named by the sandbox id. */
export function defaultPodSlice(sandboxId: string): string {
  return `berth-pod${sandboxId}.slice`;
}

/** The slice a CRI cgroup_parent names; a cgroupfs path is refused, naming both drivers. */
export function podSliceOf(cgroupParent: string, sandboxId: string): string {
  if (cgroupParent === '') return defaultPodSlice(sandboxId);
  if (!isSliceName(cgroupParent)) {
    throw new InvalidArgumentError(
      `cgroup_parent ${JSON.stringify(cgroupParent)} is a cgroupfs path, but this runtime uses the systemd cgroup driver: set the kubelet's cgroupDriver to systemd (a slice like kubepods-burstable-pod<uid>.slice), or run the runtime with --cgroup-driver cgroupfs`,
    );
  }
  expandSlice(cgroupParent);
  return cgroupParent;
}

/** The slice unit whose cgroup is at the expanded `path` (its last level). */
function sliceOfPath(path: string): string {
  const last = path.split('/').at(-1) ?? '';
  if (!isSliceName(last)) {
    throw new InvalidArgumentError(`pod cgroup ${JSON.stringify(path)} is no systemd slice: the pod sandbox was made under the cgroupfs driver; remove it and run the pod again`);
  }
  return last;
}

type PodOf = Pick<SandboxRecord, 'config' | 'cgroupPath'>;

/** Where a container's cgroup is: the cgroup layer's path of its scope, and the OCI cgroupsPath runc is given. */
export function systemdContainerPlacement() {
  const scope = (sandbox: PodOf, containerId: string) => {
    if (!sandbox.cgroupPath) throw new FailedPreconditionError('the pod sandbox was recorded before berth kept pod cgroups: remove it and run the pod again');
    const slice = sliceOfPath(sandbox.cgroupPath);
    return { slice, prefix: scopePrefix, name: containerId };
  };
  return {
    path: (sandbox: PodOf, containerId: string): string => scopeCgroupPath(scope(sandbox, containerId)),
    ociPath: (sandbox: PodOf, containerId: string): string => systemdCgroupsPath(scope(sandbox, containerId)),
  };
}

/** What systemd has no property for: written to the files, in the directories systemd made. */
function beyondSystemd(limits: Limits): Limits {
  const { cpuShares: _s, cpuQuotaUs: _q, cpuPeriodUs: _p, memoryBytes: _m, pidsMax: _t, ...rest } = limits;
  return rest;
}

/** The limits systemd holds (unit properties), then the rest in the cgroup files. */
async function applyThroughSystemd(cgroups: Cgroups, units: SystemdUnits, unit: string, path: string, limits: Limits, version: 'v1' | 'v2', how: 'create' | 'update'): Promise<void> {
  const props = unitPropertiesFor(limits, version);
  if (how === 'create') await units.ensureSlice(unit, props);
  else await units.setProperties(unit, props);
  const rest = beyondSystemd(limits);
  if (Object.keys(rest).length === 0) return;
  // systemd makes a unit's directory only in the hierarchies it manages (not cpuset or hugetlb on v1).
  await cgroups.create(path);
  await (how === 'create' ? cgroups.apply(path, rest) : cgroups.update(path, rest));
}

export function systemdContainerCgroupPort(cgroups: Cgroups, placement: ReturnType<typeof systemdContainerPlacement>, anchors: CgroupAnchors, units: SystemdUnits): ContainerCgroupPort {
  const hugetlbUnusable = hugetlbUnusableReason(anchors);
  return {
    pathFor: placement.path,
    stats: (path) => cgroups.stats(path),
    oomEvents: (path) => cgroups.oomEvents(path),
    // runc put the limits on the scope as properties too: they change there, or the next
    // realization of the scope would put the old ones back.
    update: (path, resources) =>
      applyThroughSystemd(cgroups, units, path.split('/').at(-1) ?? '', path, withoutUnusableHugepages(limitsFromCri(resources), hugetlbUnusable), anchors.version, 'update'),
    // A runtime killed mid-create may have started the scope already: stop it, then the
    // directories it made in hierarchies systemd does not manage.
    remove: async (path) => {
      await units.stopUnit(path.split('/').at(-1) ?? '');
      await cgroups.remove(path);
    },
  };
}

export function systemdSandboxCgroupPort(cgroups: Cgroups, anchors: CgroupAnchors, units: SystemdUnits): SandboxCgroupPort {
  const hugetlbUnusable = hugetlbUnusableReason(anchors);
  const podLimits = (resources: Parameters<typeof podLimitsFromCri>[0]): Limits => withoutUnusableHugepages(podLimitsFromCri(resources), hugetlbUnusable);
  return {
    create: async (cgroupParent, sandboxId, resources) => {
      const slice = podSliceOf(cgroupParent, sandboxId);
      const path = expandSlice(slice);
      await applyThroughSystemd(cgroups, units, slice, path, podLimits(resources), anchors.version, 'create');
      return path;
    },
    update: (path, resources) => applyThroughSystemd(cgroups, units, sliceOfPath(path), path, podLimits(resources), anchors.version, 'update'),
    remove: async (path) => {
      // systemd removes the directories it made; the ones runc made in the other hierarchies
      // (cpuset, freezer, ... on v1) stay behind until removed here.
      await units.stopUnit(sliceOfPath(path));
      await cgroups.remove(path);
    },
    usage: async (path) => {
      const [stats, oom] = await Promise.all([cgroups.stats(path).catch(() => undefined), cgroups.oomEvents(path).catch(() => undefined)]);
      return { stats, oom };
    },
  };
}
