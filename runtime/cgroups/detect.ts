// Which cgroup implementation this host needs, and building it. Pure v2 when the cgroup root is a
// cgroup2 mount with cgroup.controllers (real nodes); v1 otherwise, hybrid hosts included (their
// cgroup2 mount at <root>/unified holds no controller berth limits with). Every root is a
// parameter so tests point them at temp dirs or the v2 guest.
import { access, readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../common/logger.js';
import type { CgroupVersion, Cgroups } from './cgroups.js';
import { nodeCgroupFiles, type CgroupFiles } from './cgroup-files.js';
import { readProcSelfCgroup, v1Anchors, v2Anchors, type CgroupAnchors } from './own-cgroup.js';
import { CgroupsV1 } from './v1.js';
import { CgroupsV2 } from './v2.js';

/** statfs f_type of a cgroup2 mount (linux/magic.h). */
export const cgroup2SuperMagic = 0x63677270;

export interface CgroupRootFacts {
  /** statfs f_type of the root, or undefined when it cannot be read. */
  rootType: number | undefined;
  rootHasControllersFile: boolean;
}

/** Pure. */
export function cgroupVersionOf(facts: CgroupRootFacts): CgroupVersion {
  return facts.rootType === cgroup2SuperMagic && facts.rootHasControllersFile ? 'v2' : 'v1';
}

export async function readCgroupRootFacts(root: string): Promise<CgroupRootFacts> {
  const rootType = await statfs(root).then(
    (s) => s.type,
    () => undefined,
  );
  const rootHasControllersFile = await access(join(root, 'cgroup.controllers')).then(
    () => true,
    () => false,
  );
  return { rootType, rootHasControllersFile };
}

export interface CgroupHostOptions {
  /** The cgroup mount root; /sys/fs/cgroup on every host berth supports. */
  root?: string;
  /** Where /proc is, for /proc/self/cgroup. */
  procRoot?: string;
  files?: CgroupFiles;
  logger?: Logger;
  /**
   * Anchor every hierarchy at its root instead of berth's own cgroup: the systemd driver's paths
   * are systemd's, from the root of each hierarchy (kubepods.slice/...), wherever berth runs.
   */
  rootAnchors?: boolean;
}

export interface CgroupHost {
  cgroups: Cgroups;
  anchors: CgroupAnchors;
}

/** Detects the host's cgroup version and builds the matching implementation. */
export async function openCgroups(options: CgroupHostOptions = {}): Promise<CgroupHost> {
  const { root = '/sys/fs/cgroup', procRoot = '/proc', files = nodeCgroupFiles, logger } = options;
  const version = cgroupVersionOf(await readCgroupRootFacts(root));
  if (version === 'v2') {
    const controllers = (await readFile(join(root, 'cgroup.controllers'), 'utf8')).trim().split(/\s+/).filter(Boolean);
    const anchors = v2Anchors(root, controllers);
    logger?.info({ cgroupVersion: version, controllers }, 'cgroup v2 host');
    return { cgroups: new CgroupsV2(anchors, files), anchors };
  }
  const own = v1Anchors(root, await readProcSelfCgroup(procRoot));
  const listed = options.rootAnchors ? atRoots(own) : own;
  // A hierarchy the kernel lists but nobody mounted (net_cls on some hosts) has no directory to
  // create cgroups in; runc skips those too.
  const mounted = await Promise.all(
    listed.hierarchies.map((h) =>
      access(h.mountDir).then(
        () => true,
        () => false,
      ),
    ),
  );
  const unifiedMounted = listed.hybridUnified
    ? await access(join(listed.hybridUnified.mountDir, 'cgroup.procs')).then(
        () => true,
        () => false,
      )
    : false;
  const anchors: CgroupAnchors = {
    version: 'v1',
    hierarchies: listed.hierarchies.filter((_, i) => mounted[i]),
    ...(unifiedMounted && listed.hybridUnified ? { hybridUnified: listed.hybridUnified } : {}),
  };
  const swapAccounting = await hasMemsw(anchors, files);
  logger?.info(
    { cgroupVersion: version, hierarchies: anchors.hierarchies.map((h) => `${h.name}:${h.anchor}`), swapAccounting },
    options.rootAnchors
      ? 'cgroup v1 host (v1 or hybrid): pod cgroups are systemd slices from the root of every hierarchy'
      : 'cgroup v1 host (v1 or hybrid): berth cgroups live below its own cgroup in every hierarchy',
  );
  return { cgroups: new CgroupsV1(anchors, files, logger ? { swapAccounting, logger } : { swapAccounting }), anchors };
}

/** The same hierarchies, each anchored at its root. */
export function atRoots(anchors: CgroupAnchors): CgroupAnchors {
  const hierarchies = anchors.hierarchies.map((h) => ({ ...h, anchor: '/' }));
  return { ...anchors, hierarchies, ...(anchors.hybridUnified ? { hybridUnified: { ...anchors.hybridUnified, anchor: '/' } } : {}) };
}

async function hasMemsw(anchors: CgroupAnchors, files: CgroupFiles): Promise<boolean> {
  const memory = anchors.hierarchies.find((h) => h.controllers.includes('memory'));
  if (!memory) return false;
  return (await files.read(join(memory.mountDir, memory.anchor, 'memory.memsw.limit_in_bytes'))) !== undefined;
}
