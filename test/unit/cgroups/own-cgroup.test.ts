import { describe, expect, it } from 'vitest';
import { cgroupVersionOf, cgroup2SuperMagic } from '../../../runtime/cgroups/detect.js';
import { parseProcCgroup, v1Anchors, v2Anchors } from '../../../runtime/cgroups/own-cgroup.js';

// /proc/self/cgroup on these hybrid development machines.
const hybrid = `9:name=systemd:/
8:pids:/
7:blkio:/
4:memory:/process_api/7d383cbfe4960904cebe94ceacbd48fc
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`;

describe('/proc/self/cgroup', () => {
  it('parses each hierarchy line, keeping colons inside the path', () => {
    expect(parseProcCgroup('5:cpu,cpuacct:/a:b\n0::/user.slice\n')).toEqual([
      { id: 5, controllers: 'cpu,cpuacct', path: '/a:b' },
      { id: 0, controllers: '', path: '/user.slice' },
    ]);
  });

  it('anchors each v1 hierarchy at berth own cgroup in it, skipping the unified line', () => {
    const anchors = v1Anchors('/sys/fs/cgroup', hybrid);
    expect(anchors.version).toBe('v1');
    expect(anchors.hierarchies.find((h) => h.name === 'memory')).toEqual({
      name: 'memory',
      controllers: ['memory'],
      mountDir: '/sys/fs/cgroup/memory',
      anchor: '/process_api/7d383cbfe4960904cebe94ceacbd48fc',
    });
    expect(anchors.hierarchies.find((h) => h.name === 'systemd')).toMatchObject({ controllers: [], mountDir: '/sys/fs/cgroup/systemd' });
    expect(anchors.hierarchies.map((h) => h.name)).not.toContain('');
  });

  it('finds a combined cpu,cpuacct hierarchy by either controller', () => {
    const [cpu] = v1Anchors('/cg', '2:cpu,cpuacct:/x\n').hierarchies;
    expect(cpu).toEqual({ name: 'cpu,cpuacct', controllers: ['cpu', 'cpuacct'], mountDir: '/cg/cpu,cpuacct', anchor: '/x' });
  });

  it('anchors a pure v2 host at the root of the unified hierarchy', () => {
    expect(v2Anchors('/sys/fs/cgroup', ['cpu', 'memory'])).toEqual({
      version: 'v2',
      hierarchies: [{ name: 'unified', controllers: ['cpu', 'memory'], mountDir: '/sys/fs/cgroup', anchor: '/' }],
    });
  });
});

describe('cgroup version detection', () => {
  const table: Array<[name: string, rootType: number | undefined, controllers: boolean, version: 'v2' | 'v1']> = [
    ['a cgroup2 root with cgroup.controllers', cgroup2SuperMagic, true, 'v2'],
    ['a tmpfs root (v1 or hybrid)', 0x01021994, false, 'v1'],
    ['a cgroup2 root without cgroup.controllers', cgroup2SuperMagic, false, 'v1'],
    ['an unreadable root', undefined, false, 'v1'],
  ];
  it.each(table)('reads %s as %s', (_name, rootType, rootHasControllersFile, version) => {
    expect(cgroupVersionOf({ rootType, rootHasControllersFile })).toBe(version);
  });
});
