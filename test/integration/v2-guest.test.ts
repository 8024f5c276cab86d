// The pure cgroup v2 host the cgroup tests need: a real v2 kernel under qemu, not a directory of
// fake files.
import { describe, expect, it } from 'vitest';
import { guestTimeLimitMs, runInV2Guest } from '../harness/v2-guest.js';

describe('pure cgroup v2 guest', () => {
  it(
    'boots the cloud kernel with every v2 controller the cgroup layer needs',
    async () => {
      const result = await runInV2Guest('cat /sys/fs/cgroup/cgroup.controllers; uname -r; grep cgroup2 /proc/mounts');
      expect(result.exitCode).toBe(0);
      const [controllers = ''] = result.output.split('\n');
      expect(controllers.split(' ')).toEqual(expect.arrayContaining(['cpuset', 'cpu', 'io', 'memory', 'pids']));
      expect(result.output).toMatch(/cloud-amd64/);
      expect(result.output).toContain('cgroup2 /sys/fs/cgroup cgroup2');
      // The kernel's log has its own serial port: it never splits a line the script printed.
      expect(result.kernelLog).toContain('Linux version');
      expect(result.output).not.toContain('Linux version');
    },
    guestTimeLimitMs(),
  );

  it(
    'can load the overlay module, which container snapshots need',
    async () => {
      const result = await runInV2Guest('modprobe overlay && grep -w overlay /proc/filesystems', { withKernelModules: true });
      expect(result.exitCode).toBe(0);
      expect(result.output).toMatch(/nodev\s+overlay/);
    },
    guestTimeLimitMs(),
  );

  it(
    'reports a failing script as a non-zero exit',
    async () => {
      const result = await runInV2Guest('echo about to fail; exit 7');
      expect(result.output).toBe('about to fail');
      expect(result.exitCode).toBe(7);
    },
    guestTimeLimitMs(),
  );
});
