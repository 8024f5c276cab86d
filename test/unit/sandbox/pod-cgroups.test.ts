import { describe, expect, it } from 'vitest';
import type { PodSandboxConfig__Output } from '../../../api/cri/messages.js';
import { v1Anchors } from '../../../runtime/cgroups/own-cgroup.js';
import { containerCgroupPlacement } from '../../../runtime/sandbox/pod-cgroups.js';

// This hybrid machine's layout: berth's memory cgroup is not the root, every other one is.
const hybrid = v1Anchors('/sys/fs/cgroup', '4:memory:/process_api/7d38\n1:cpu:/\n0::/\n');
const config = (cgroupParent: string) => ({ linux: { cgroupParent } }) as unknown as PodSandboxConfig__Output;

describe('where a container of a pod goes', () => {
  it('gives runc the kubelet pod cgroup as an absolute path when the kubelet placed it inside berth own cgroup', () => {
    const placement = containerCgroupPlacement(hybrid);
    const sandbox = { config: config('/process_api/7d38/kubelet/kubepods/besteffort/pod1') };
    expect(placement.path(sandbox, 'c1')).toBe('/process_api/7d38/kubelet/kubepods/besteffort/pod1/berth-c1');
    expect(placement.ociPath(sandbox, 'c1')).toBe('/process_api/7d38/kubelet/kubepods/besteffort/pod1/berth-c1');
  });

  it('keeps a parent outside berth own cgroup below it, relative for runc', () => {
    const placement = containerCgroupPlacement(hybrid);
    expect(placement.ociPath({ config: config('/kubepods/besteffort/pod1') }, 'c1')).toBe('kubepods/besteffort/pod1/berth-c1');
  });
});
