import { readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Removes a test's parent cgroup (e.g. "berth-test") below this process's own cgroup in every
 * mounted hierarchy, once the runtime has removed the containers' cgroups inside it. Only empty
 * directories are removed: a cgroup with something still in it stays and shows the leak.
 */
export function removeTestCgroupParents(name: string): void {
  const own = new Map<string, string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [, controllers = '', path = '/'] = line.split(':');
    for (const controller of controllers.split(',')) own.set(controller.replace(/^name=/, ''), path);
  }
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
    const path = own.get(hierarchy) ?? own.get(hierarchy === 'unified' ? '' : hierarchy) ?? '/';
    try {
      rmdirSync(join('/sys/fs/cgroup', hierarchy, path, name));
    } catch {
      // absent, or not empty: nothing of ours to remove, or a leak that must stay visible
    }
  }
}
