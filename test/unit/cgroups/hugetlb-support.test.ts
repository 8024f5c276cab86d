import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hugetlbUnusableReason, withoutUnusableHugepages } from '../../../runtime/cgroups/hugetlb-support.js';
import { v1Anchors, v2Anchors, type CgroupAnchors } from '../../../runtime/cgroups/own-cgroup.js';
import { CgroupsV1 } from '../../../runtime/cgroups/v1.js';
import { CgroupsV2 } from '../../../runtime/cgroups/v2.js';
import type { Cgroups } from '../../../runtime/cgroups/cgroups.js';
import { sandboxCgroupPort } from '../../../runtime/sandbox/pod-cgroups.js';
import { criResources } from './cri-resources.js';
import { MemoryCgroupFiles } from './memory-cgroup-files.js';

// The four layouts, each as detect.ts reads it: /proc/self/cgroup (v1) or the root's
// cgroup.controllers (v2).
const layouts: Record<string, CgroupAnchors> = {
  'v1 with a hugetlb hierarchy': v1Anchors('/cg', '5:hugetlb:/\n4:memory:/\n1:cpu,cpuacct:/\n'),
  'hybrid with hugetlb in cgroup2 only': v1Anchors('/cg', '4:memory:/own\n1:cpu,cpuacct:/\n0::/\n'),
  'pure v2 listing hugetlb': v2Anchors('/cg', ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids']),
  'pure v2 without hugetlb': v2Anchors('/cg', ['cpuset', 'cpu', 'io', 'memory', 'pids']),
};

describe('whether hugepage limits can be applied', () => {
  it.each([
    ['v1 with a hugetlb hierarchy', undefined],
    ['hybrid with hugetlb in cgroup2 only', /hybrid.*cgroup2 mount only/],
    ['pure v2 listing hugetlb', undefined],
    ['pure v2 without hugetlb', /cgroup\.controllers/],
  ] as const)('on %s: %s', (layout, expected) => {
    const reason = hugetlbUnusableReason(layouts[layout]!);
    if (expected === undefined) expect(reason).toBeUndefined();
    else expect(reason).toMatch(expected);
  });

  it('says a v1 host without any hugetlb hierarchy mounts none', () => {
    expect(hugetlbUnusableReason(v1Anchors('/cg', '4:memory:/\n'))).toMatch(/mounts no hugetlb hierarchy/);
  });

  it('drops only the hugepage limits, and only where they are unusable', () => {
    const limits = { memoryBytes: 1 << 20, hugepages: [{ pageSize: '2MB', limitBytes: 0 }] };
    expect(withoutUnusableHugepages(limits, 'no hugetlb')).toEqual({ memoryBytes: 1 << 20 });
    expect(withoutUnusableHugepages(limits, undefined)).toBe(limits);
  });
});

// What the upstream kubelet sends: a limit per page size of the host, 0 where the pod asks none.
const kubeletPodResources = criResources({
  memoryLimitInBytes: String(64 << 20),
  hugepageLimits: [
    { pageSize: '2MB', limit: '0' },
    { pageSize: '1GB', limit: '0' },
  ],
});

function v1World(procSelfCgroup: string, withHugetlb: boolean): { files: MemoryCgroupFiles; cgroups: Cgroups; anchors: CgroupAnchors } {
  const template: Record<string, string> = { 'cgroup.procs': '', 'memory.limit_in_bytes': 'max', 'cpu.shares': '1024' };
  if (withHugetlb) Object.assign(template, { 'hugetlb.2MB.limit_in_bytes': 'max', 'hugetlb.1GB.limit_in_bytes': 'max' });
  const files = new MemoryCgroupFiles(template);
  const anchors = v1Anchors('/cg', procSelfCgroup);
  for (const h of anchors.hierarchies) files.addDir(join(h.mountDir, h.anchor).replace(/\/$/, ''));
  return { files, cgroups: new CgroupsV1(anchors, files, { swapAccounting: false }), anchors };
}

function v2World(controllers: string[]): { files: MemoryCgroupFiles; cgroups: Cgroups; anchors: CgroupAnchors } {
  const template: Record<string, string> = {
    'cgroup.procs': '',
    'cgroup.controllers': controllers.join(' '),
    'cgroup.subtree_control': '',
    'memory.max': 'max',
  };
  if (controllers.includes('hugetlb')) Object.assign(template, { 'hugetlb.2MB.max': 'max', 'hugetlb.1GB.max': 'max' });
  const files = new MemoryCgroupFiles(template);
  files.addDir('/cg');
  const anchors = v2Anchors('/cg', controllers);
  return { files, cgroups: new CgroupsV2(anchors, files), anchors };
}

describe('the pod cgroup writer with the upstream kubelet hugepage limits', () => {
  const cases = [
    [
      'v1 with a hugetlb hierarchy',
      () => v1World('5:hugetlb:/\n4:memory:/\n1:cpu,cpuacct:/\n', true),
      ['/cg/hugetlb/kubepods/podu/hugetlb.2MB.limit_in_bytes', '/cg/hugetlb/kubepods/podu/hugetlb.1GB.limit_in_bytes'],
    ],
    ['hybrid with hugetlb in cgroup2 only', () => v1World('4:memory:/own\n1:cpu,cpuacct:/\n0::/\n', false), []],
    ['pure v2 listing hugetlb', () => v2World(['cpu', 'memory', 'hugetlb', 'pids']), ['/cg/kubepods/podu/hugetlb.2MB.max', '/cg/kubepods/podu/hugetlb.1GB.max']],
    ['pure v2 without hugetlb', () => v2World(['cpu', 'memory', 'pids']), []],
  ] as const;

  it.each(cases)('on %s writes the memory limit and the hugetlb files only where they exist', async (_layout, world, hugetlbWrites) => {
    const { files, cgroups, anchors } = world();
    const pods = sandboxCgroupPort(cgroups, anchors);
    await pods.create('/kubepods/podu', 'sandbox1', { resources: kubeletPodResources, overhead: null });
    const written = files.writes.map(([path]) => path);
    expect(written.filter((path) => path.includes('hugetlb.'))).toEqual(hugetlbWrites);
    expect(written.some((path) => /memory\.(limit_in_bytes|max)$/.test(path))).toBe(true);
  });
});
