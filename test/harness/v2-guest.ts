// A pure cgroup v2 Linux guest for the tests that must see a real v2 kernel: Debian's cloud kernel
// (setup/guest-kernel.sh) booted by qemu under TCG with a busybox initramfs that mounts cgroup2,
// runs one shell script and powers off. KVM is not used: it is broken for nested guests on these
// machines (see ENVIRONMENT.md), and TCG is 10-20x slower, so keep guest scripts small.
//
// The script's output and the kernel's log travel on two serial ports (ttyS0 and ttyS1), so the
// kernel's messages (an OOM kill, a stall) never split a line the test parses, and a run that
// fails still shows the whole kernel log. A boot whose init never announced itself within the boot
// limit is killed and tried once more: a TCG guest on a loaded 2-core host has been seen to stall
// before init and print nothing (fresh-clone CI run; the one cause found, the kernel's timer check,
// is switched off below), and a second boot is cheap next to the whole tier.
import { execa } from 'execa';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolsDir } from './tools.js';

export interface GuestFile {
  /** Path inside the guest, e.g. "/opt/berth/run.sh". */
  path: string;
  /** Content, or a host file to copy. */
  content?: string;
  hostPath?: string;
  mode?: number;
}

export interface GuestResult {
  /** What the script printed (between the guest's begin and exit markers). */
  output: string;
  exitCode: number;
  /** Everything on the script's serial port, for diagnosis. */
  console: string;
  /** The kernel's log (its own serial port), for diagnosis. */
  kernelLog: string;
  /** Boots that stalled before init and were retried (0 or 1). */
  stalledBoots: number;
}

/** What a guest's first init prints on ttyS0, the script's start and its end (+ exit code). */
export const bootMarker = '=== berth-guest-boot ===';
export const begin = '=== berth-guest-begin ===';
export const exitMarker = '=== berth-guest-exit ';

/** How long the kernel may take to reach init, on a loaded 2-core host, before a retry. */
const defaultBootTimeoutMs = 90_000;
/** How long one booted guest may run its script. */
const defaultTimeoutMs = 180_000;
/** Packing the initramfs (kernel modules: ~10 s) and the unpacking on both sides. */
const packingMs = 30_000;

// Only /dev and the announcement here: the copy below is the slow part of a pivotable boot.
const switchRootScript = `#!/bin/busybox sh
/bin/busybox mkdir -p /dev /newroot
/bin/busybox mount -t devtmpfs devtmpfs /dev
echo '${bootMarker}' > /dev/ttyS0
/bin/busybox umount /dev
/bin/busybox mount -t tmpfs -o mode=0755 tmpfs /newroot
for entry in /*; do
  case "$entry" in /newroot|/proc|/sys|/dev|/init) ;; *) /bin/busybox cp -a "$entry" /newroot/ ;; esac
done
exec /bin/busybox switch_root /newroot /init-main
`;

function initScript(announceBoot: boolean): string {
  return `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /run
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/ttyS0 2>&1
${announceBoot ? `echo '${bootMarker}'` : ''}
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t tmpfs tmpfs /run
/bin/busybox mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo '${begin}'
/bin/busybox sh -c '. /berth-script.sh' 2>&1
echo "${exitMarker}$? ==="
/bin/busybox poweroff -f
`;
}

export interface GuestOptions {
  files?: GuestFile[];
  /**
   * Move the root from the initramfs to a tmpfs (switch_root) before the script runs, so
   * pivot_root works as it does on a disk-booted node: runc refuses a private rootfs propagation
   * without it, and the initramfs itself can never be pivoted away from.
   */
  pivotableRoot?: boolean;
  /** Ship the kernel's modules (91 MB, slower to pack) so the script can modprobe overlay etc. */
  withKernelModules?: boolean;
  /** Bound on one booted guest running its script (default 180 s). */
  timeoutMs?: number;
}

/**
 * The longest runInV2Guest can take with these options: a stalled boot, its retry and the script.
 * A test's beforeAll/test timeout must be at least this, or vitest gives up first and the
 * harness never gets to report the guest's console.
 */
export function guestTimeLimitMs(options: Pick<GuestOptions, 'timeoutMs'> = {}): number {
  return defaultBootTimeoutMs + (options.timeoutMs ?? defaultTimeoutMs) + packingMs;
}

async function packInitramfs(work: string, script: string, options: GuestOptions): Promise<string> {
  const { files = [], withKernelModules = false, pivotableRoot = false } = options;
  const root = join(work, 'root');
  await addBusybox(root);
  if (withKernelModules) {
    mkdirSync(join(root, 'lib'), { recursive: true });
    await execa('cp', ['-a', join(toolsDir(), 'guest/current/lib/modules'), join(root, 'lib/modules')]);
  }
  const main = pivotableRoot ? 'init-main' : 'init';
  writeFileSync(join(root, main), initScript(!pivotableRoot));
  chmodSync(join(root, main), 0o755);
  if (pivotableRoot) {
    writeFileSync(join(root, 'init'), switchRootScript);
    chmodSync(join(root, 'init'), 0o755);
  }
  writeFileSync(join(root, 'berth-script.sh'), script);
  for (const file of files) {
    const target = join(root, file.path);
    mkdirSync(join(target, '..'), { recursive: true });
    if (file.hostPath) copyFileSync(file.hostPath, target);
    else writeFileSync(target, file.content ?? '');
    if (file.mode !== undefined) chmodSync(target, file.mode);
  }
  return packCpio(root, join(work, 'initrd.cpio.gz'));
}

/** The host's static busybox at `root`/bin, with a link for each applet. */
export async function addBusybox(root: string): Promise<void> {
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  for (const applet of (await execa('/bin/busybox', ['--list'])).stdout.split('\n')) {
    if (applet && applet !== 'busybox') symlinkSync('busybox', join(root, 'bin', applet));
  }
}

/** `root` as a gzipped newc cpio archive at `initrd`. */
export async function packCpio(root: string, initrd: string): Promise<string> {
  await execa('sh', ['-c', `cd "${root}" && find . | cpio -o -H newc --quiet | gzip -1 > "${initrd}"`]);
  return initrd;
}

interface Boot {
  booted: boolean;
  console: string;
  kernelLog: string;
  qemuExit: string;
}

/** The machine one guest boots: its initramfs, and what else qemu gets (disks, network). */
export interface GuestMachine {
  initrd: string;
  memoryMb: number;
  /** More qemu arguments: -drive, -nic. */
  qemuArgs: string[];
}

/** One qemu run; killed when init has not announced itself within the boot limit. */
async function boot(work: string, machine: GuestMachine, attempt: number, timeoutMs: number): Promise<Boot> {
  const kernelLogPath = join(work, `kernel-${attempt}.log`);
  const qemu = execa(
    'qemu-system-x86_64',
    [
      '-accel',
      'tcg',
      '-m',
      String(machine.memoryMb),
      '-smp',
      '2',
      '-display',
      'none',
      '-monitor',
      'none',
      '-serial',
      'stdio',
      '-serial',
      `file:${kernelLogPath}`,
      '-no-reboot',
      ...machine.qemuArgs,
      '-kernel',
      join(toolsDir(), 'guest/current/vmlinuz'),
      '-initrd',
      machine.initrd,
      // no_timer_check: the kernel's boot-time test of the IO-APIC timer counts ticks in a short
      // busy-wait; a TCG vCPU on a loaded host misses them and the kernel panics ("IO-APIC +
      // timer doesn't work!", reproduced with the two host cores busy). Virtual machines skip it.
      // psi=1: Debian builds PSI in but off by default; on, the cgroups have their *.pressure files.
      '-append',
      'console=ttyS1 panic=-1 rdinit=/init no_timer_check psi=1',
    ],
    { timeout: defaultBootTimeoutMs + timeoutMs, reject: false, stdin: 'ignore', all: true },
  );
  let consoleText = '';
  let booted = false;
  const bootTimer = setTimeout(() => qemu.kill('SIGKILL'), defaultBootTimeoutMs);
  qemu.all?.on('data', (chunk: Buffer) => {
    consoleText += chunk.toString('utf8');
    if (!booted && consoleText.includes(bootMarker)) {
      booted = true;
      clearTimeout(bootTimer);
    }
  });
  const result = await qemu;
  clearTimeout(bootTimer);
  const kernelLog = existsSync(kernelLogPath) ? readFileSync(kernelLogPath, 'utf8').replace(/\r/g, '') : '';
  const qemuExit = result.timedOut ? 'killed at its time limit' : result.isTerminated ? `killed by ${result.signal ?? 'a signal'}` : `exit ${result.exitCode}`;
  return { booted, console: consoleText.replace(/\r/g, ''), kernelLog, qemuExit };
}

function failure(what: string, run: Boot): string {
  return `${what} (qemu ${run.qemuExit}); console:\n${run.console.slice(-3000)}\nkernel log:\n${run.kernelLog.slice(-4000)}`;
}

/**
 * Boots `machine` (retrying once a boot that never reached init) and returns what the script
 * printed between the begin and exit markers.
 */
export async function bootGuest(work: string, machine: GuestMachine, timeoutMs: number): Promise<GuestResult> {
  let run = await boot(work, machine, 1, timeoutMs);
  let stalledBoots = 0;
  if (!run.booted) {
    stalledBoots = 1;
    process.stderr.write(`${failure('the v2 guest stalled before init; booting it once more', run)}\n`);
    run = await boot(work, machine, 2, timeoutMs);
    if (!run.booted) throw new Error(failure('the v2 guest stalled before init twice', run));
  }
  const start = run.console.indexOf(begin);
  const exit = new RegExp(`${exitMarker}(\\d+) ===`).exec(run.console);
  if (start < 0 || !exit) throw new Error(failure('the v2 guest did not finish its script', run));
  return {
    output: run.console.slice(start + begin.length, exit.index).trim(),
    exitCode: Number(exit[1]),
    console: run.console,
    kernelLog: run.kernelLog,
    stalledBoots,
  };
}

/** Boots the guest, runs `script` as root inside it, and returns what it printed. */
export async function runInV2Guest(script: string, options: GuestOptions = {}): Promise<GuestResult> {
  const work = mkdtempSync(join(tmpdir(), 'berth-guest-'));
  try {
    const initrd = await packInitramfs(work, script, options);
    return await bootGuest(work, { initrd, memoryMb: 1024, qemuArgs: ['-nic', 'none'] }, options.timeoutMs ?? defaultTimeoutMs);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
