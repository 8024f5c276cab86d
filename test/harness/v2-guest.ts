// A pure cgroup v2 Linux guest for the tests that must see a real v2 kernel: Debian's cloud kernel
// (setup/guest-kernel.sh) booted by qemu under TCG with a busybox initramfs that mounts cgroup2,
// runs one shell script and powers off. KVM is not used: it is broken for nested guests on these
// machines (see ENVIRONMENT.md), and TCG is 10-20x slower, so keep guest scripts small.
import { execa } from 'execa';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
  /** Everything on the serial console, kernel messages included, for diagnosis. */
  console: string;
}

const begin = '=== berth-guest-begin ===';
const exitMarker = '=== berth-guest-exit ';

const switchRootScript = `#!/bin/busybox sh
/bin/busybox mkdir -p /newroot
/bin/busybox mount -t tmpfs -o mode=0755 tmpfs /newroot
for entry in /*; do
  case "$entry" in /newroot|/proc|/sys|/dev|/init) ;; *) /bin/busybox cp -a "$entry" /newroot/ ;; esac
done
exec /bin/busybox switch_root /newroot /init-main
`;

function initScript(): string {
  return `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /run
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
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
  timeoutMs?: number;
}

/** Boots the guest, runs `script` as root inside it, and returns what it printed. */
export async function runInV2Guest(script: string, options: GuestOptions = {}): Promise<GuestResult> {
  const { files = [], withKernelModules = false, pivotableRoot = false, timeoutMs = 180_000 } = options;
  const guest = join(toolsDir(), 'guest/current');
  const work = mkdtempSync(join(tmpdir(), 'berth-guest-'));
  try {
    const root = join(work, 'root');
    mkdirSync(join(root, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
    for (const applet of (await execa('/bin/busybox', ['--list'])).stdout.split('\n')) {
      if (applet && applet !== 'busybox') symlinkSync('busybox', join(root, 'bin', applet));
    }
    if (withKernelModules) {
      mkdirSync(join(root, 'lib'), { recursive: true });
      await execa('cp', ['-a', join(guest, 'lib/modules'), join(root, 'lib/modules')]);
    }
    writeFileSync(join(root, pivotableRoot ? 'init-main' : 'init'), initScript());
    chmodSync(join(root, pivotableRoot ? 'init-main' : 'init'), 0o755);
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
    const initrd = join(work, 'initrd.cpio.gz');
    await execa('sh', ['-c', `cd "${root}" && find . | cpio -o -H newc --quiet | gzip -1 > "${initrd}"`]);

    const result = await execa(
      'qemu-system-x86_64',
      [
        '-accel', 'tcg',
        '-m', '1024',
        '-smp', '2',
        '-nographic',
        '-no-reboot',
        '-nic', 'none',
        '-kernel', join(guest, 'vmlinuz'),
        '-initrd', initrd,
        '-append', 'console=ttyS0 panic=-1 rdinit=/init quiet loglevel=3',
      ],
      { timeout: timeoutMs, reject: false, stdin: 'ignore', all: true },
    );
    const consoleText = (result.all ?? '').replace(/\r/g, '');
    const start = consoleText.indexOf(begin);
    const exit = new RegExp(`${exitMarker}(\\d+) ===`).exec(consoleText);
    if (start < 0 || !exit) {
      throw new Error(`the v2 guest did not run its script (qemu exit ${result.exitCode}); console:\n${consoleText.slice(-3000)}`);
    }
    return {
      output: consoleText.slice(start + begin.length, exit.index).trim(),
      exitCode: Number(exit[1]),
      console: consoleText,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
