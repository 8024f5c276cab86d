// Whether the OCI runtime's cgroup manager can apply hugepage limits on this host's layout, and
// the limits without them where it cannot. The upstream kubelet sends a limit for every page size
// the host has (0 where the pod asks for none), so a host whose hugetlb controller is out of
// reach would fail every container: containerd drops them there (disable_hugetlb_controller),
// and so does berth, saying why once. Pure: the layout is the anchors detect.ts read.
import type { Limits } from './limits.js';
import type { CgroupAnchors } from './own-cgroup.js';

/**
 * Why hugepage limits cannot be applied on this layout, or undefined where they can.
 * - v1 (hybrid included): runc's v1 manager writes hugetlb.<size>.limit_in_bytes in a mounted v1
 *   hugetlb hierarchy; a hybrid host that keeps hugetlb in its cgroup2 mount has none, and runc
 *   fails with "cannot set hugetlb limit: container could not join or create cgroup".
 * - v2: runc and crun write hugetlb.<size>.max, which exists only where the root's
 *   cgroup.controllers lists hugetlb (and so every subtree_control on the way can enable it).
 */
export function hugetlbUnusableReason(anchors: CgroupAnchors): string | undefined {
  const hasHugetlb = anchors.hierarchies.some((h) => h.controllers.includes('hugetlb'));
  if (hasHugetlb) return undefined;
  if (anchors.version === 'v2') {
    return 'the cgroup2 root lists no hugetlb controller in cgroup.controllers, so no cgroup has hugetlb.<size>.max files';
  }
  if (anchors.hybridUnified) {
    return "this hybrid host keeps the hugetlb controller in its cgroup2 mount only, which the OCI runtime's cgroup v1 manager cannot use";
  }
  return 'this cgroup v1 host mounts no hugetlb hierarchy';
}

/** `limits` without hugepage limits when `unusable` says why they cannot be applied; as given otherwise. */
export function withoutUnusableHugepages(limits: Limits, unusable: string | undefined): Limits {
  if (unusable === undefined || limits.hugepages === undefined) return limits;
  const { hugepages: _dropped, ...rest } = limits;
  return rest;
}
