// The kubelet's QoS cgroup layout (cgroupfs driver), as pure path helpers:
//
//   kubepods/                      Guaranteed pods directly below
//   kubepods/burstable/pod<uid>/
//   kubepods/besteffort/pod<uid>/
//     <container id>/              each container below its pod
//
// The paths are berth cgroup paths (relative, see cgroups.ts); resolveParent turns the
// cgroup_parent a CRI client sends into one.
import { join } from 'node:path';
import { InvalidArgumentError } from '../../common/errors.js';
import { cgroupPathSegments, isRootedCgroupPath, segmentsBelowAnchor } from './cgroup-path.js';
import type { CgroupAnchors } from './own-cgroup.js';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

export const kubepodsPath = 'kubepods';

/** Quantities already parsed: cpu in millicores, memory in bytes. Absent or 0: not given. */
export interface ResourceAmounts {
  cpuMilli?: number;
  memoryBytes?: number;
}

export interface ContainerResourceSpec {
  requests?: ResourceAmounts;
  limits?: ResourceAmounts;
}

type Resource = keyof ResourceAmounts;
const qosResources: readonly Resource[] = ['cpuMilli', 'memoryBytes'];

/**
 * The pod's QoS class, as Kubernetes computes it (pkg/apis/core/v1/helper/qos) over every
 * container, init containers included: BestEffort with no cpu/memory request or limit anywhere;
 * Guaranteed when every container limits both cpu and memory and the pod's summed requests equal
 * its summed limits; Burstable otherwise. A limit without a request counts as a request of the
 * same amount, as the API server's defaulting makes it.
 */
export function qosClassOf(containers: readonly ContainerResourceSpec[]): QosClass {
  const requests = new Map<Resource, number>();
  const limits = new Map<Resource, number>();
  let guaranteed = true;
  const add = (sums: Map<Resource, number>, resource: Resource, amount: number): void => {
    sums.set(resource, (sums.get(resource) ?? 0) + amount);
  };
  for (const container of containers) {
    for (const resource of qosResources) {
      const limit = container.limits?.[resource] ?? 0;
      const request = container.requests?.[resource] || limit;
      if (request > 0) add(requests, resource, request);
      if (limit > 0) add(limits, resource, limit);
      else guaranteed = false;
    }
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed && requests.size === limits.size && [...requests].every(([r, amount]) => limits.get(r) === amount)) return 'Guaranteed';
  return 'Burstable';
}

export function qosParentPath(qos: QosClass): string {
  switch (qos) {
    case 'Guaranteed':
      return kubepodsPath;
    case 'Burstable':
      return `${kubepodsPath}/burstable`;
    case 'BestEffort':
      return `${kubepodsPath}/besteffort`;
  }
}

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function checkId(id: string, what: string): string {
  if (!idPattern.test(id) || id.includes('..')) {
    throw new InvalidArgumentError(`${what} "${id}" cannot name a cgroup: use letters, digits, "-", "_" and "."`);
  }
  return id;
}

export function podCgroupPath(qos: QosClass, podUid: string): string {
  return `${qosParentPath(qos)}/pod${checkId(podUid, 'pod uid')}`;
}

export function containerCgroupPath(podPath: string, containerId: string): string {
  cgroupPathSegments(podPath);
  return `${podPath}/${checkId(containerId, 'container id')}`;
}

/**
 * Pods that name no cgroup_parent (berth run, crictl with a bare config) live below this shared
 * parent, each in a cgroup of its own (defaultPodCgroupPath). The parent itself never gets a
 * pod's limits: every parentless pod and container shares it, so a limit written there would cap
 * them all and outlive the pod (on v1 it also makes a larger child quota fail with EINVAL).
 */
export const defaultPodParent = 'berth';

/** The cgroup of a pod without a cgroup_parent: its own, named by the sandbox id (uids repeat in hand-written configs). */
export function defaultPodCgroupPath(sandboxId: string): string {
  return `${defaultPodParent}/pod-${checkId(sandboxId, 'pod sandbox id')}`;
}

export interface ResolvedParent {
  /** The berth cgroup path to pass to Cgroups. */
  path: string;
  /** What to put in an OCI spec's linux.cgroupsPath for a cgroup at `path`'s level. */
  ociCgroupsPath: string;
  /** The directory the cgroup has in each hierarchy, by hierarchy name. */
  dirs: Record<string, string>;
}

/**
 * The rule: a CRI cgroup_parent is read relative to berth's anchors (own-cgroup.ts). An absolute
 * parent ("/kubepods/burstable/pod<uid>", what the kubelet's cgroupfs driver sends) means the
 * same path below the anchor, so on a pure v2 host it is exactly the kubelet's path, and on a
 * hybrid host it lands below berth's own cgroup in every hierarchy, where berth may create
 * cgroups. An absolute parent that already lies below the anchor in every hierarchy (a kubelet
 * whose cgroupRoot is inside berth's own cgroup) is taken as it is, rooted, so the containers
 * land in the very pod cgroup the kubelet made and reads its pod stats from; joining it onto the
 * anchor again would double the anchor's part. An empty parent means kubepods. Systemd slice
 * names ("kubepods-burstable.slice") belong to the systemd driver (sandbox/systemd-pod-cgroups.ts).
 * ".." never climbs out of the anchor.
 */
export function resolveParent(parentFromCri: string, anchors: CgroupAnchors): ResolvedParent {
  if (parentFromCri.endsWith('.slice') || parentFromCri.includes('.slice/')) {
    throw new InvalidArgumentError(
      `cgroup_parent "${parentFromCri}" is a systemd slice, but this runtime uses the cgroupfs cgroup driver: set the kubelet's cgroupDriver to cgroupfs, or run the runtime with --cgroup-driver systemd`,
    );
  }
  const trimmed = parentFromCri.replace(/^\/+/, '').replace(/\/+$/, '');
  const relative = trimmed === '' ? kubepodsPath : trimmed;
  cgroupPathSegments(relative);
  const path = insideEveryAnchor(`/${relative}`, anchors) ? `/${relative}` : relative;
  const dirs: Record<string, string> = {};
  for (const hierarchy of anchors.hierarchies) {
    dirs[hierarchy.name] = join(hierarchy.mountDir, hierarchy.anchor, ...segmentsBelowAnchor(path, hierarchy.anchor));
  }
  return { path, ociCgroupsPath: ociCgroupsPathOf(path, anchors), dirs };
}

/**
 * Whether the rooted path lies below a non-root anchor in every hierarchy: only then does taking
 * it as it is differ from joining it onto the anchors (where every anchor is the root, the two
 * name the same cgroups, and the relative form is kept).
 */
function insideEveryAnchor(rooted: string, anchors: CgroupAnchors): boolean {
  if (anchors.hierarchies.every((h) => h.anchor === '/')) return false;
  return anchors.hierarchies.every((h) => {
    try {
      segmentsBelowAnchor(rooted, h.anchor);
      return true;
    } catch {
      return false;
    }
  });
}

/** What an OCI spec's linux.cgroupsPath says for the berth cgroup path `path`. */
export function ociCgroupsPathOf(path: string, anchors: CgroupAnchors): string {
  // runc reads an absolute cgroupsPath from each hierarchy's root: a rooted path is one already.
  if (isRootedCgroupPath(path)) {
    for (const hierarchy of anchors.hierarchies) segmentsBelowAnchor(path, hierarchy.anchor);
    return path;
  }
  cgroupPathSegments(path);
  // runc reads a relative cgroupsPath below its own cgroup in each hierarchy, which is berth's
  // (runc runs as berth's descendant); v2's anchor is the root, where runc wants absolute paths.
  const v2Anchor = anchors.hierarchies[0]?.anchor ?? '/';
  return anchors.version === 'v1' ? path : `${v2Anchor.replace(/\/+$/, '')}/${path}`;
}
