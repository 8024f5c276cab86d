// What a whole tier leaves on the machine: a picture of the host taken before the tier's first file
// and again after its last, and what the second has that the first had not. Each test file already
// cleans up after itself (and test/harness/leak-sweep.ts checks one berth's own objects); this is
// the check of the checks, over everything a test world touches: mounts, processes, cgroups,
// network links and namespaces, iptables rules, CNI leases and temporary directories.
//
// It compares against the picture taken at the start rather than against an empty host, so what
// the machine had before (its own services, an earlier run's debris) is never blamed on this run.
import { execa } from 'execa';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { cgroupTree, ownCgroups } from './leak-sweep.js';

export type WorldItemKind = 'mount' | 'process' | 'cgroup' | 'link' | 'netns' | 'iptables' | 'cni-lease' | 'tmp';

export type WorldPicture = Map<WorldItemKind, Set<string>>;

function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith('/tmp/') || point.startsWith(`${tmpdir()}/`) || point.startsWith('/run/netns/'));
}

const worldPrograms = new Set([
  'conmon',
  'runc',
  'crun',
  'containerd',
  'containerd-shim-runc-v2',
  'docker-registry',
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'metrics-server',
  'prometheus',
  'qemu-system-x86_64',
  'sample-device-plugin',
  'critest',
  'crictl',
]);

/** Processes of the programs a test world starts (berth itself included), by pid and command line. */
function worldProcesses(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const program = basename(argv[0] ?? '');
      const isBerth = program === 'node' && (argv[1] ?? '').endsWith('bin/berth.js');
      if (worldPrograms.has(program) || isBerth) found.push(`${pid} ${argv.join(' ').slice(0, 200)}`);
    } catch {
      // gone while listed
    }
  }
  return found;
}

/**
 * Every cgroup below this process's own in each hierarchy (where the tests make theirs). This
 * machine manages a cgroup per process of its own (/process_api/<id>, see ENVIRONMENT.md): in the
 * hierarchies where we sit at the root, those of other processes are not ours to judge, and the
 * path of our own (which a test that nests a kubelet's cgroupRoot below it makes in every
 * hierarchy) is part of where we live, not something a test left.
 */
function cgroupsBelowOwn(): string[] {
  const own = ownCgroups();
  const managedPrefix = '/process_api/';
  const ours = own.get('memory') ?? '/';
  const isOursOrAbove = (path: string): boolean => ours === path || ours.startsWith(`${path}/`);
  return readdirSync('/sys/fs/cgroup').flatMap((hierarchy) => {
    const base = own.get(hierarchy) ?? own.get(hierarchy === 'unified' ? '' : hierarchy) ?? '/';
    return cgroupTree(join('/sys/fs/cgroup', hierarchy, base), `${hierarchy}:${base}`).filter((entry) => {
      const path = join(base, entry.slice(`${hierarchy}:${base}`.length));
      if (isOursOrAbove(path)) return false;
      return !path.startsWith(managedPrefix) || path.startsWith(`${ours}/`);
    });
  });
}

async function lines(command: string, args: string[]): Promise<string[]> {
  const result = await execa(command, args, { reject: false, timeout: 30_000 });
  return result.failed ? [] : String(result.stdout).split('\n').filter(Boolean);
}

async function links(): Promise<string[]> {
  return (await lines('ip', ['-o', 'link', 'show'])).map((line) => /^\d+:\s+([^@:\s]+)/.exec(line)?.[1]).filter((name): name is string => name !== undefined);
}

/** iptables rules and chains of the nat and filter tables, without their packet counters. */
async function iptablesRules(): Promise<string[]> {
  const rules: string[] = [];
  for (const table of ['nat', 'filter']) {
    for (const line of await lines('iptables-save', ['-t', table])) {
      if (line.startsWith('#') || line === 'COMMIT' || line.startsWith('*')) continue;
      rules.push(`${table}: ${line.replace(/\s*\[\d+:\d+\]$/, '')}`);
    }
  }
  return rules;
}

/** host-local leases kept where the plugin keeps them by default (tests give each network its own dir). */
function defaultCniLeases(): string[] {
  const root = '/var/lib/cni/networks';
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((network) => {
    try {
      return readdirSync(join(root, network)).map((lease) => `${network}/${lease}`);
    } catch {
      return [];
    }
  });
}

/** Temporary files and directories the harness names berth-* (work dirs, CNI conf dirs, roots). */
function berthTempEntries(): string[] {
  return (
    readdirSync(tmpdir())
      // Locks such as /tmp/berth-critest.lock are shared between runs on purpose.
      .filter((name) => name.startsWith('berth') && !name.endsWith('.lock'))
      .map((name) => join(tmpdir(), name))
  );
}

export async function pictureTestWorld(): Promise<WorldPicture> {
  const picture: WorldPicture = new Map();
  picture.set('mount', new Set(mountPoints()));
  picture.set('process', new Set(worldProcesses()));
  picture.set('cgroup', new Set(cgroupsBelowOwn()));
  picture.set('link', new Set(await links()));
  picture.set('netns', new Set(await lines('ip', ['netns', 'list'])));
  picture.set('iptables', new Set(await iptablesRules()));
  picture.set('cni-lease', new Set(defaultCniLeases()));
  picture.set('tmp', new Set(berthTempEntries()));
  return picture;
}

/** What `after` has that `before` had not, as "kind: item" lines. */
export function newInWorld(before: WorldPicture, after: WorldPicture): string[] {
  const found: string[] = [];
  for (const [kind, items] of after) {
    const earlier = before.get(kind) ?? new Set<string>();
    for (const item of items) if (!earlier.has(item)) found.push(`${kind}: ${item}`);
  }
  return found.sort();
}

/** Throws, listing them, when the machine has things `before` had not; says so when it has none. */
export async function expectNothingLeft(tier: string, before: WorldPicture): Promise<void> {
  const left = newInWorld(before, await pictureTestWorld());
  if (left.length > 0) throw new Error(`the ${tier} tier left ${left.length} thing(s) on the machine:\n  ${left.join('\n  ')}`);
  console.log(`${tier} tier: nothing left on the machine (mounts, processes, cgroups, links, netns, iptables rules, CNI leases, temp dirs)`);
}
