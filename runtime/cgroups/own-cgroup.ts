// Where berth's own process sits in each cgroup hierarchy (/proc/self/cgroup), and from that the
// anchors every berth cgroup path is joined onto. On hybrid hosts the machine manages the cgroups
// above ours (here the memory hierarchy's own path is /process_api/<id>, not /), so on v1 berth
// anchors at its own cgroup in every hierarchy; runc, given a relative cgroupsPath, does the same.
// On pure v2 the anchor is the root, as with the kubelet's cgroupfs driver: berth's own cgroup
// holds berth's process, and v2's no-internal-processes rule forbids enabling controllers for
// children of a cgroup with processes in it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CgroupVersion } from './cgroups.js';

export interface ProcCgroupLine {
  /** Hierarchy id; 0 is the cgroup2 (unified) hierarchy. */
  id: number;
  /** Controllers of the hierarchy as the kernel lists them ("cpu,cpuacct", "name=systemd", ""). */
  controllers: string;
  /** The process's cgroup in that hierarchy, from its root ("/", "/process_api/7d38..."). */
  path: string;
}

/** Pure: the lines of /proc/<pid>/cgroup. */
export function parseProcCgroup(text: string): ProcCgroupLine[] {
  const lines: ProcCgroupLine[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    // The path may itself contain ':' — split on the first two only.
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    lines.push({ id: Number(line.slice(0, first)), controllers: line.slice(first + 1, second), path: line.slice(second + 1) });
  }
  return lines;
}

export interface CgroupHierarchy {
  /** "unified" for cgroup2; the mount directory name on v1 ("memory", "cpu,cpuacct", "systemd"). */
  name: string;
  controllers: string[];
  /** The hierarchy's mount point. */
  mountDir: string;
  /** berth's anchor inside it, a cgroup path from the hierarchy root ("/" or "/process_api/..."). */
  anchor: string;
}

export interface CgroupAnchors {
  version: CgroupVersion;
  hierarchies: CgroupHierarchy[];
  /**
   * A hybrid host's cgroup2 mount (<root>/unified). berth sets no limits there, but runc mirrors
   * every cgroup path into it, parents included, so removing a cgroup removes it there too.
   */
  hybridUnified?: CgroupHierarchy;
}

/** Pure: the anchors for a v1/hybrid host, one per v1 hierarchy berth's process is in. */
export function v1Anchors(root: string, procSelfCgroup: string): CgroupAnchors {
  const hierarchies: CgroupHierarchy[] = [];
  let hybridUnified: CgroupHierarchy | undefined;
  for (const line of parseProcCgroup(procSelfCgroup)) {
    if (line.id === 0) hybridUnified = { name: 'unified', controllers: [], mountDir: join(root, 'unified'), anchor: line.path };
    if (line.id === 0 || line.controllers === '') continue;
    // Mounted at <root>/<controllers> by systemd and cgroupfs-mount alike; named hierarchies
    // ("name=systemd") at <root>/<name>.
    const name = line.controllers.replace(/^name=/, '');
    hierarchies.push({
      name,
      controllers: line.controllers.split(',').filter((c) => !c.startsWith('name=')),
      mountDir: join(root, name),
      anchor: line.path,
    });
  }
  return { version: 'v1', hierarchies, ...(hybridUnified ? { hybridUnified } : {}) };
}

/** Pure: the anchor for a pure v2 host: the root of the unified hierarchy. */
export function v2Anchors(root: string, controllers: string[]): CgroupAnchors {
  return { version: 'v2', hierarchies: [{ name: 'unified', controllers, mountDir: root, anchor: '/' }] };
}

export async function readProcSelfCgroup(procRoot = '/proc'): Promise<string> {
  return readFile(join(procRoot, 'self/cgroup'), 'utf8');
}
