// systemd's naming of cgroups, shared by the kubelet (pod and QoS slices) and the runtime
// (cgroupsPath of containers). Pure. The rules are systemd's own (systemd.slice(5)): a slice's
// name is its path in the slice tree with "-" between the levels, so "a-b-c.slice" lives in
// "a-b.slice" in "a.slice", and its cgroup is /a.slice/a-b.slice/a-b-c.slice; "-.slice" is the
// root slice. A level's own "-" would read as a new level, so the kubelet writes it as "_"
// (the pod uid 1f2e-... becomes pod1f2e_...), as the upstream kubelet's systemd driver does.
// The OCI runtime's cgroupsPath under systemd is "slice:prefix:name": runc and crun make the
// scope "<prefix>-<name>.scope" in that slice.
import { InvalidArgumentError } from '../errors.js';

export type CgroupDriver = 'cgroupfs' | 'systemd';

export const cgroupDrivers: readonly CgroupDriver[] = ['cgroupfs', 'systemd'];

/** The driver named by a flag or config value, or INVALID_ARGUMENT naming `where`. */
export function parseCgroupDriver(value: string, where: string): CgroupDriver {
  if (value === 'cgroupfs' || value === 'systemd') return value;
  throw new InvalidArgumentError(`${where} ${JSON.stringify(value)}: expected cgroupfs or systemd`);
}

/** The characters a slice level may hold: systemd accepts more, but nothing else reaches a unit name here. */
const levelPattern = /^[A-Za-z0-9_.:]+$/;

/** Whether `name` names a systemd slice ("kubepods.slice", "-.slice") rather than a cgroupfs path. */
export function isSliceName(name: string): boolean {
  return name.endsWith('.slice') && !name.includes('/');
}

/**
 * The slice for a cgroupfs-style path ("/kubepods/burstable/pod1f2e-77": the kubelet's cgroup
 * name): each level's "-" written "_", the levels joined by "-". "/" is the root slice "-.slice".
 */
export function sliceNameOf(cgroupfsPath: string): string {
  const levels = cgroupfsPath.split('/').filter((level) => level !== '');
  if (levels.length === 0) return '-.slice';
  for (const level of levels) {
    if (level === '.' || level === '..' || !levelPattern.test(level.replaceAll('-', '_'))) {
      throw new InvalidArgumentError(`cgroup name ${JSON.stringify(cgroupfsPath)} cannot be a systemd slice: its level ${JSON.stringify(level)} has characters a unit name cannot hold`);
    }
  }
  return `${levels.map((level) => level.replaceAll('-', '_')).join('-')}.slice`;
}

/**
 * The cgroup path of a slice, relative to the hierarchy root where systemd puts it:
 * "kubepods-burstable-pod1f2e_77.slice" → "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e_77.slice";
 * the root slice "-.slice" → "" (the root itself). A name that is no slice, or has an empty
 * level ("a--b.slice", "-a.slice"), is refused as systemd refuses it.
 */
export function expandSlice(slice: string): string {
  if (!isSliceName(slice)) throw new InvalidArgumentError(`${JSON.stringify(slice)} is not a systemd slice name (NAME.slice, no "/")`);
  if (slice === '-.slice') return '';
  const stem = slice.slice(0, -'.slice'.length);
  const levels = stem.split('-');
  if (levels.some((level) => level === '' || !levelPattern.test(level))) {
    throw new InvalidArgumentError(`slice ${JSON.stringify(slice)} has an empty level or characters a unit name cannot hold`);
  }
  return levels.map((_, i) => `${levels.slice(0, i + 1).join('-')}.slice`).join('/');
}

/** The slice a slice sits in: "a-b.slice" → "a.slice"; a top-level slice → "-.slice". */
export function parentSlice(slice: string): string {
  expandSlice(slice);
  const stem = slice.slice(0, -'.slice'.length);
  const cut = stem.lastIndexOf('-');
  return cut < 0 ? '-.slice' : `${stem.slice(0, cut)}.slice`;
}

export interface SystemdCgroupsPath {
  slice: string;
  prefix: string;
  name: string;
}

/** The OCI cgroupsPath for a scope named "<prefix>-<name>.scope" in `slice` ("slice:prefix:name"). */
export function systemdCgroupsPath(path: SystemdCgroupsPath): string {
  expandSlice(path.slice);
  for (const part of [path.prefix, path.name]) {
    if (!levelPattern.test(part.replaceAll('-', '_')) || part.includes(':')) {
      throw new InvalidArgumentError(`scope name part ${JSON.stringify(part)} has characters a unit name cannot hold`);
    }
  }
  return `${path.slice}:${path.prefix}:${path.name}`;
}

/** Pure inverse of systemdCgroupsPath; INVALID_ARGUMENT for anything not of the form. */
export function parseSystemdCgroupsPath(text: string): SystemdCgroupsPath {
  const parts = text.split(':');
  const [slice = '', prefix = '', name = ''] = parts;
  if (parts.length !== 3 || name === '') throw new InvalidArgumentError(`cgroupsPath ${JSON.stringify(text)} is not of systemd's form slice:prefix:name`);
  const parsed = { slice, prefix, name };
  systemdCgroupsPath(parsed);
  return parsed;
}

/** The scope unit runc and crun make for a systemd cgroupsPath. */
export function scopeUnitOf(path: SystemdCgroupsPath): string {
  return path.prefix === '' ? `${path.name}.scope` : `${path.prefix}-${path.name}.scope`;
}

/** The cgroup path (from the hierarchy root, relative) of that scope: its slice's path, then the scope. */
export function scopeCgroupPath(path: SystemdCgroupsPath): string {
  const slicePath = expandSlice(path.slice);
  return slicePath === '' ? scopeUnitOf(path) : `${slicePath}/${scopeUnitOf(path)}`;
}
