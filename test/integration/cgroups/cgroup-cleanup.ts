// Test cleanup for real cgroups: kill whatever is left inside, then remove the test's cgroups
// deepest first, even when the test failed half-way.
import type { Cgroups } from '../../../runtime/cgroups/cgroups.js';

export async function killAll(cgroups: Cgroups, path: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const pids = await cgroups.processes(path).catch(() => []);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`processes in cgroup ${path} survived SIGKILL`);
}

/** Kills and removes each path, deepest first; reports every failure at the end. */
export async function removeCgroups(cgroups: Cgroups, paths: string[]): Promise<void> {
  const failures: string[] = [];
  for (const path of [...paths].sort((a, b) => b.split('/').length - a.split('/').length)) {
    try {
      await killAll(cgroups, path);
      await cgroups.remove(path);
    } catch (error) {
      failures.push(`${path}: ${String(error)}`);
    }
  }
  if (failures.length > 0) throw new Error(`cgroup cleanup failed:\n${failures.join('\n')}`);
}
