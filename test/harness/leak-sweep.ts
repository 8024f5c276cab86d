// A sweep of what one berth instance may leave on the host: mounts and namespace pins under its
// dirs, veths on its bridge, cgroups below the test's cgroup parents, conmon processes, pod pid
// namespace holders and OCI runtime containers of its state dir, iptables rules (nat and filter) naming its network, subnet
// or bridge, host-local leases in its IPAM dir, and what a create or pull cut short leaves in its
// dirs (sandbox/container dirs, creation intents, CNI results, partial blobs, unpack snapshots,
// temp files of atomic writes). Everything is filtered by this instance's dirs, bridge, subnet and
// cgroup parents, so berths and tests running beside it never show up. Each finding names the
// sandbox or container id it belongs to when one can be read off it, so a test can tell what
// belongs to a live object from a leak.
import { execa } from 'execa';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export type LeakKind = 'mount' | 'netns' | 'veth' | 'cgroup' | 'process' | 'runc' | 'iptables' | 'ipam' | 'state' | 'content';

export interface Leak {
  kind: LeakKind;
  what: string;
  /** The sandbox or container id it belongs to, when it names one (or a pod IP leased to one). */
  owner?: string;
}

export interface LeakSweepTarget {
  rootDir: string;
  stateDir: string;
  network: {
    /** The conflist's network name (host-local keeps leases under <ipamDir>/<name>). */
    name: string;
    bridge: string;
    /** IPv4 CIDR, e.g. 10.244.170.0/24 (a /24 or wider on an octet boundary). */
    subnet: string;
    ipamDir: string;
  };
  /** Cgroup parents of the test's pods, relative to this process's cgroup in each hierarchy. */
  cgroupParents: string[];
}

const idIn = /[a-f0-9]{64}/;

function ownerOf(text: string): string | undefined {
  return idIn.exec(text)?.[0];
}

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

function under(path: string, dirs: string[]): boolean {
  return dirs.some((dir) => path === dir || path.startsWith(`${dir}/`));
}

async function mountLeaks(target: LeakSweepTarget): Promise<Leak[]> {
  const leaks: Leak[] = [];
  for (const line of (await readFile('/proc/self/mountinfo', 'utf8')).split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const point = unescapeMountPath(fields[4] ?? '');
    if (!under(point, [target.rootDir, target.stateDir])) continue;
    const fsType = right.split(' ')[0] ?? '';
    const what = `${fsType} ${point}${fsType === 'nsfs' ? ` (${fields[3]})` : ''}`;
    leaks.push({ kind: fsType === 'nsfs' ? 'netns' : 'mount', what, ...withOwner(point) });
  }
  return leaks;
}

function withOwner(text: string): { owner?: string } {
  const owner = ownerOf(text);
  return owner ? { owner } : {};
}

async function vethLeaks(target: LeakSweepTarget): Promise<Leak[]> {
  const listed = await execa('ip', ['-o', 'link', 'show', 'master', target.network.bridge], { reject: false });
  if (listed.failed) return [];
  return String(listed.stdout)
    .split('\n')
    .map((line) => /^\d+:\s+([^@:\s]+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined)
    .map((name) => ({ kind: 'veth' as const, what: `${name} on ${target.network.bridge}` }));
}

export function ownCgroups(): Map<string, string> {
  const own = new Map<string, string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [, controllers = '', path = '/'] = line.split(':');
    for (const controller of controllers.split(',')) own.set(controller.replace(/^name=/, ''), path);
  }
  return own;
}

/** Every cgroup directory below `dir`, as `label/child/...`. */
export function cgroupTree(dir: string, label: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory());
  } catch {
    return [];
  }
  return entries.flatMap((name) => [`${label}/${name}`, ...cgroupTree(join(dir, name), `${label}/${name}`)]);
}

function cgroupLeaks(target: LeakSweepTarget): Leak[] {
  const own = ownCgroups();
  const leaks: Leak[] = [];
  const walk = (dir: string, label: string): void => {
    for (const what of cgroupTree(dir, label)) leaks.push({ kind: 'cgroup', what, ...withOwner(what.slice(what.lastIndexOf('/') + 1)) });
  };
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
    const base = own.get(hierarchy) ?? own.get(hierarchy === 'unified' ? '' : hierarchy) ?? '/';
    for (const parent of target.cgroupParents) walk(join('/sys/fs/cgroup', hierarchy, base, parent), `${hierarchy}:${parent}`);
  }
  return leaks;
}

async function processLeaks(target: LeakSweepTarget): Promise<Leak[]> {
  const leaks: Leak[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv[0]?.endsWith('conmon') && argv.some((arg) => under(arg, [target.stateDir]))) {
      const cid = argv[argv.indexOf('--cid') + 1] ?? '';
      leaks.push({ kind: 'process', what: `conmon pid ${pid} for ${cid}`, ...withOwner(cid) });
    }
    // A pod's pid namespace holder (and its unshare parent) carry their sandbox's dir.
    const environ = (await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')).split('\0');
    const dir = environ.find((entry) => entry.startsWith('BERTH_POD_SANDBOX_DIR='))?.slice('BERTH_POD_SANDBOX_DIR='.length);
    if (dir && under(dir, [target.stateDir])) leaks.push({ kind: 'process', what: `pid namespace holder pid ${pid} (${argv[0]}) for ${dir}`, ...withOwner(dir) });
  }
  const runcRoot = join(target.stateDir, 'oci/runc');
  const listed = await execa('runc', ['--root', runcRoot, 'list', '--format', 'json'], { reject: false });
  if (!listed.failed) {
    const containers = (JSON.parse(String(listed.stdout) || 'null') ?? []) as { id: string; status: string; pid: number }[];
    for (const c of containers) leaks.push({ kind: 'runc', what: `runc container ${c.id} ${c.status} pid ${c.pid}`, ...withOwner(c.id) });
  }
  return leaks;
}

/** The subnet's fixed prefix as text ("10.244.170." for a /24). */
function subnetPrefix(subnet: string): string {
  const [address = '', bits = '24'] = subnet.split('/');
  const octets = Math.floor(Number(bits) / 8);
  return `${address.split('.').slice(0, octets).join('.')}.`;
}

async function iptablesLeaks(target: LeakSweepTarget, leasedTo: Map<string, string>): Promise<Leak[]> {
  const prefix = subnetPrefix(target.network.subnet);
  const needles = [prefix, `name: \\"${target.network.name}\\"`, ` ${target.network.bridge} `];
  const leaks: Leak[] = [];
  for (const table of ['nat', 'filter']) {
    const saved = await execa('iptables-save', ['-t', table], { reject: false });
    if (saved.failed) continue;
    const lines = String(saved.stdout).split('\n');
    const ours = lines.filter((line) => line.startsWith('-A ') && needles.some((needle) => `${line} `.includes(needle)));
    // The chains those rules jump to are ours too, with every rule in them.
    const chains = new Set(ours.map((line) => /-j (CNI-[A-Za-z0-9-]+)/.exec(line)?.[1]).filter((c): c is string => c !== undefined && !c.startsWith('CNI-HOSTPORT-')));
    // A rule names its sandbox by id (the plugins' comments) or by its pod IP; a rule in a
    // sandbox's own chain belongs to whoever the jump into that chain names.
    // A host address (bare or /32), not the subnet itself.
    const ipPattern = new RegExp(`(${prefix.replace(/\./g, '\\.')}\\d+)(?:/32)?(?![\\d/])`);
    const direct = (line: string): string | undefined => {
      const ip = ipPattern.exec(line)?.[1];
      return ownerOf(line) ?? (ip ? leasedTo.get(ip) : undefined);
    };
    const chainOwner = new Map<string, string>();
    for (const line of ours) {
      const jump = /-j (CNI-[A-Za-z0-9-]+)/.exec(line)?.[1];
      const owner = direct(line);
      if (jump && owner) chainOwner.set(jump, owner);
    }
    for (const line of lines) {
      const chain = /^-A (\S+)/.exec(line)?.[1];
      if (!ours.includes(line) && !(chain && chains.has(chain))) continue;
      const owner = direct(line) ?? (chain ? chainOwner.get(chain) : undefined);
      leaks.push({ kind: 'iptables', what: `${table}: ${line}`, ...(owner ? { owner } : {}) });
    }
  }
  return leaks;
}

/** host-local's leases: one file per address, holding the container id (then the interface). */
async function ipamLeases(target: LeakSweepTarget): Promise<Map<string, string>> {
  const dir = join(target.network.ipamDir, target.network.name);
  const leases = new Map<string, string>();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name === 'lock' || name.startsWith('last_reserved_ip')) continue;
    const holder = (await readFile(join(dir, name), 'utf8').catch(() => '')).split(/\s/)[0] ?? '';
    leases.set(name, holder);
  }
  return leases;
}

/** What a half-done create or pull leaves in berth's own dirs. */
async function stateLeaks(target: LeakSweepTarget): Promise<Leak[]> {
  const leaks: Leak[] = [];
  const entries = async (dir: string): Promise<string[]> => readdir(dir).catch(() => [] as string[]);
  const listed: [string, LeakKind][] = [
    [join(target.stateDir, 'sandboxes'), 'state'],
    [join(target.stateDir, 'containers'), 'state'],
    [join(target.stateDir, 'monitor'), 'state'],
    [join(target.stateDir, 'exits'), 'state'],
    [join(target.stateDir, 'sockets'), 'state'],
    [join(target.stateDir, 'cni/results'), 'state'],
    [join(target.rootDir, 'sandboxes/creating'), 'state'],
    [join(target.rootDir, 'content/ingest'), 'content'],
    [join(target.rootDir, 'snapshots/removing'), 'content'],
  ];
  for (const [dir, kind] of listed) {
    for (const name of await entries(dir)) leaks.push({ kind, what: join(dir, name), ...withOwner(name) });
  }
  const snapshotsDir = join(target.rootDir, 'snapshots/snapshots');
  for (const name of await entries(snapshotsDir)) {
    const text = await readFile(join(snapshotsDir, name, 'snapshot.json'), 'utf8').catch(() => undefined);
    const record = text === undefined ? undefined : (JSON.parse(text) as { kind?: string; key?: string });
    if (record === undefined) leaks.push({ kind: 'content', what: `snapshot dir without a record: ${join(snapshotsDir, name)}` });
    else if (record.kind === 'active') leaks.push({ kind: 'content', what: `active snapshot ${record.key ?? '?'}`, ...withOwner(record.key ?? '') });
  }
  // Temp files of atomic writes a crash cut short, in the record dirs (not inside image layers).
  const recordDirs = ['sandboxes', 'sandboxes/creating', 'containers', 'images'].map((d) => join(target.rootDir, d));
  for (const dir of [...recordDirs, join(target.stateDir, 'cni/results')]) {
    for (const name of await entries(dir)) if (/^\..+\.tmp$/.test(name)) leaks.push({ kind: 'state', what: `temp file ${join(dir, name)}`, ...withOwner(name) });
  }
  return leaks;
}

export async function sweepLeaks(target: LeakSweepTarget): Promise<Leak[]> {
  const leases = await ipamLeases(target);
  const ipamLeaks: Leak[] = [...leases].map(([ip, holder]) => ({ kind: 'ipam', what: `lease ${ip} held by ${holder}`, ...withOwner(holder) }));
  const [mounts, veths, processes, rules, state] = await Promise.all([mountLeaks(target), vethLeaks(target), processLeaks(target), iptablesLeaks(target, leases), stateLeaks(target)]);
  return [...mounts, ...veths, ...cgroupLeaks(target), ...processes, ...rules, ...ipamLeaks, ...state];
}

/** One line per finding, for an assertion message. */
export function describeLeaks(leaks: Leak[]): string {
  return leaks.map((leak) => `${leak.kind}: ${leak.what}${leak.owner ? ` [${leak.owner.slice(0, 12)}]` : ''}`).join('\n');
}
