// A shell that waits on stdin before it runs its workload, so a test can move it into a cgroup
// first: everything the workload forks is then born inside the cgroup.
import { execa } from 'execa';

export interface HeldProcess {
  pid: number;
  /** Lets the workload run; resolves with how it ended. */
  release(): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }>;
  kill(): void;
}

export function startHeld(workload: string): HeldProcess {
  const child = execa('busybox', ['sh', '-c', `read go; exec busybox sh -c '${workload.replace(/'/g, `'\\''`)}'`], {
    stdin: 'pipe',
    reject: false,
  });
  if (child.pid === undefined) throw new Error('busybox did not start');
  return {
    pid: child.pid,
    async release() {
      child.stdin.end('go\n');
      const result = await child;
      return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}
