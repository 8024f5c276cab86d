// A pure cgroup v2 node for berth itself: the guest kernel (setup/guest-kernel.sh) under qemu TCG
// booting Debian's own userland (setup/guest-rootfs.sh: runc, crun, conmon, CNI plugins,
// iptables; an ext4 image, written to a throw-away overlay, never to the cache), with a second
// disk made per run that carries this checkout's build: node (the host's binary), berth's dist/
// and node_modules, crictl and critest. A busybox initramfs loads the disk drivers, mounts both
// disks and switches to Debian, where the test's script runs as root with no systemd; the guest
// then powers off. The guest has no network card: everything it needs is on its disks (a registry,
// where a test wants one, runs inside the guest on its loopback, serving storage carried in). A
// third, writable disk (`resultsDir`) brings files back: the guest writes below /results, and the
// host reads the disk with debugfs after qemu has exited (nothing is mounted on the host).
import { execa } from 'execa';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolsDir } from './tools.js';
import { addBusybox, begin, bootGuest, bootMarker, exitMarker, packCpio, type GuestResult } from './v2-guest.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the per-run disk appears in the guest. */
export const payloadDir = '/opt/berth';
/** Where the writable results disk appears in the guest; files written below it come back. */
export const resultsMount = '/results';
/** The boot (packing, a retried stall) on top of the script's own bound. */
const bootAllowanceMs = 180_000;

/** The cached Debian image, or an error that says which setup step makes it. */
function rootfsImage(): string {
  const image = join(toolsDir(), 'guest/rootfs-current/rootfs.img');
  if (!existsSync(image)) throw new Error(`${image} is missing: run setup/guest-rootfs.sh (after setup/guest-kernel.sh)`);
  return image;
}

/** The guest kernel's module directory: lib/modules/<release>. */
function kernelModulesDir(): string {
  const modulesRoot = join(toolsDir(), 'guest/current/lib/modules');
  const [release] = readdirSync(modulesRoot);
  if (!release) throw new Error(`no kernel release under ${modulesRoot}: run setup/guest-kernel.sh`);
  return join(modulesRoot, release);
}

/** The modules a virtio disk with ext4 needs and the kernel lacks, each after its dependencies. */
function diskModules(modulesDir: string): string[] {
  const deps = new Map<string, string[]>();
  for (const line of readFileSync(join(modulesDir, 'modules.dep'), 'utf8').split('\n')) {
    const [module = '', rest = ''] = line.split(':');
    if (module) deps.set(module, rest.trim().split(/\s+/).filter(Boolean));
  }
  const builtin = new Set(readFileSync(join(modulesDir, 'modules.builtin'), 'utf8').split('\n'));
  const ordered: string[] = [];
  const visit = (module: string): void => {
    if (ordered.includes(module)) return;
    for (const dep of deps.get(module) ?? []) visit(dep);
    ordered.push(module);
  };
  for (const wanted of ['kernel/drivers/virtio/virtio_pci.ko', 'kernel/drivers/block/virtio_blk.ko', 'kernel/fs/ext4/ext4.ko']) {
    if (builtin.has(wanted)) continue;
    if (!deps.has(wanted)) throw new Error(`the guest kernel has no ${wanted}`);
    visit(wanted);
  }
  return ordered;
}

/** The busybox initramfs: disk drivers in, both disks mounted, then Debian's root. */
async function packInitramfs(work: string, withResults: boolean): Promise<string> {
  const root = join(work, 'initramfs');
  await addBusybox(root);
  const modulesDir = kernelModulesDir();
  mkdirSync(join(root, 'modules'), { recursive: true });
  const loads = diskModules(modulesDir).map((module, index) => {
    const target = `/modules/${index}.ko`;
    copyFileSync(join(modulesDir, module), join(root, target));
    return `/bin/insmod ${target}`;
  });
  writeFileSync(
    join(root, 'init'),
    `#!/bin/busybox sh
/bin/mkdir -p /dev /proc /newroot
/bin/mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/ttyS0 2>&1
echo '${bootMarker}'
${loads.join('\n')}
i=0; while [ ! -b /dev/vdb ] && [ $i -lt 600 ]; do /bin/sleep 0.1; i=$((i+1)); done
${withResults ? `i=0; while [ ! -b /dev/vdc ] && [ $i -lt 600 ]; do /bin/sleep 0.1; i=$((i+1)); done` : ''}
/bin/mount -t ext4 /dev/vda /newroot || { echo "${begin}"; echo 'the root disk did not mount'; echo "${exitMarker}99 ==="; /bin/poweroff -f; }
/bin/mkdir -p /newroot${payloadDir}
/bin/mount -t ext4 -o ro /dev/vdb /newroot${payloadDir}
${withResults ? `/bin/mkdir -p /newroot${resultsMount}; /bin/mount -t ext4 /dev/vdc /newroot${resultsMount}` : ''}
/bin/umount /dev
exec /bin/switch_root /newroot ${payloadDir}/guest-init.sh
`,
  );
  chmodSync(join(root, 'init'), 0o755);
  return packCpio(root, join(work, 'initrd.cpio.gz'));
}

/** Debian's side of the boot: the mounts a node has, overlay loaded, the script, power off. */
function guestInit(): string {
  return `#!/bin/bash
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
exec </dev/null >/dev/ttyS0 2>&1
export PATH=${payloadDir}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
hostname berth-guest
ip link set lo up
modprobe overlay
echo '${begin}'
bash ${payloadDir}/script.sh 2>&1
code=$?
# The results disk is read on the host once qemu has exited: everything must be on it first.
mountpoint -q ${resultsMount} && umount ${resultsMount}
echo "${exitMarker}$code ==="
sync
echo o > /proc/sysrq-trigger
sleep 60
`;
}

/**
 * The per-run disk: node, berth's build (dist/, node_modules, bin/, package.json, protos), crictl,
 * critest, a busybox rootfs tarball for `berth import`, and the script.
 */
async function packPayload(work: string, script: string, carry: Carry[]): Promise<string> {
  const dir = join(work, 'payload');
  for (const sub of ['bin', 'berth/kubelet/devices', 'carry']) mkdirSync(join(dir, sub), { recursive: true });
  if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) throw new Error(`${repoRoot}/dist is missing: run "npm run build" first`);
  const copies: [string, string][] = [
    [process.execPath, 'bin/node'],
    [join(toolsDir(), 'bin/crictl'), 'bin/crictl'],
    [join(toolsDir(), 'bin/critest'), 'bin/critest'],
    [join(repoRoot, 'dist'), 'berth/dist'],
    [realpathSync(join(repoRoot, 'node_modules')), 'berth/node_modules'],
    [join(repoRoot, 'bin'), 'berth/bin'],
    [join(repoRoot, 'package.json'), 'berth/package.json'],
    // The protos the gRPC services load at run time (the CRI's, generated by npm run build, is under api/cri/generated).
    [join(repoRoot, 'api'), 'berth/api'],
    // The kubelet's device-plugin proto (generated by npm run build beside the kubelet's code).
    [join(repoRoot, 'kubelet/devices/generated'), 'berth/kubelet/devices/generated'],
  ];
  for (const { from, to } of carry) copies.push([from, `carry/${to}`]);
  for (const [from, to] of copies) await execa('cp', ['-a', '--reflink=auto', from, join(dir, to)]);
  writeFileSync(join(dir, 'bin/berth'), `#!/bin/sh\nexec ${payloadDir}/bin/node ${payloadDir}/berth/bin/berth.js "$@"\n`);
  chmodSync(join(dir, 'bin/berth'), 0o755);
  // The one image the guest's containers run: busybox, imported with berth's own `berth import`.
  const image = join(work, 'image-root');
  await addBusybox(image);
  await execa('tar', ['-C', image, '-cf', join(dir, 'busybox-rootfs.tar'), '.']);
  writeFileSync(join(dir, 'guest-init.sh'), guestInit());
  chmodSync(join(dir, 'guest-init.sh'), 0o755);
  writeFileSync(join(dir, 'script.sh'), script);
  const disk = join(work, 'payload.img');
  const megabytes = Number((await execa('du', ['-sm', dir])).stdout.split('\t')[0]) + 200;
  await execa('mke2fs', ['-q', '-t', 'ext4', '-L', 'berth-payload', '-d', dir, disk, `${megabytes}M`]);
  return disk;
}

/** A host file or folder carried into the guest at ${payloadDir}/carry/`to` (read-only). */
export interface Carry {
  from: string;
  to: string;
}

/**
 * The results disk's files into `dir`, read with debugfs (no mount): a guest killed at its time
 * limit leaves a disk that was never unmounted, which debugfs still reads as far as it was written.
 */
async function copyResults(disk: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const dump = await execa('debugfs', ['-R', `rdump / ${dir}`, disk], { reject: false });
  if (dump.exitCode !== 0) process.stderr.write(`reading the guest's results disk failed: ${dump.stderr}\n`);
}

export interface NodeGuestOptions {
  /** Bound on the booted guest's script (default 300 s). */
  timeoutMs?: number;
  /** The guest's memory (default 2048 MiB). */
  memoryMb?: number;
  carry?: Carry[];
  /**
   * A host folder that receives what the guest wrote below ${resultsMount} (a fresh ext4 disk of
   * this many MiB), also when the script failed or ran out of time.
   */
  results?: { dir: string; sizeMb: number };
}

/** The longest runInNodeGuest can take; a test hook's timeout must be at least this. */
export function nodeGuestTimeLimitMs(options: NodeGuestOptions = {}): number {
  return (options.timeoutMs ?? 300_000) + bootAllowanceMs;
}

/** Boots the Debian node guest, runs `script` (bash) as root in it, returns what it printed. */
export async function runInNodeGuest(script: string, options: NodeGuestOptions = {}): Promise<GuestResult> {
  const rootfs = rootfsImage();
  const work = mkdtempSync(join(tmpdir(), 'berth-node-guest-'));
  try {
    const [initrd, payload] = await Promise.all([packInitramfs(work, options.results !== undefined), packPayload(work, script, options.carry ?? [])]);
    const resultsDisk = join(work, 'results.img');
    const resultsDrive: string[] = [];
    if (options.results) {
      await execa('mke2fs', ['-q', '-t', 'ext4', '-L', 'berth-results', resultsDisk, `${options.results.sizeMb}M`]);
      resultsDrive.push('-drive', `file=${resultsDisk},if=virtio,format=raw`);
    }
    try {
      return await bootGuest(
        work,
        {
          initrd,
          memoryMb: options.memoryMb ?? 2048,
          qemuArgs: [
            '-nic',
            'none',
            // snapshot=on: the guest's writes go to a temporary overlay; the cached image stays as built.
            '-drive',
            `file=${rootfs},if=virtio,format=raw,snapshot=on`,
            '-drive',
            `file=${payload},if=virtio,format=raw,readonly=on`,
            ...resultsDrive,
          ],
        },
        options.timeoutMs ?? 300_000,
      );
    } finally {
      if (options.results) await copyResults(resultsDisk, options.results.dir);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
