// The benchmark's pods live in a cgroup parent below this process's own memory cgroup (the
// machine owns the ones above; see ENVIRONMENT.md). An absolute parent makes runc create the same
// path in every hierarchy, so afterwards we remove what appeared during the run, empty dirs only.
import { type Dirent, readFileSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function ownMemoryCgroup(): string {
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => /^\d+:memory:/.test(l));
  return line?.split(':')[2] ?? '/';
}

/** Removes the empty cgroups below `dir` (QoS tiers, pods a runtime left), deepest first. */
function removeEmptyChildren(dir: string, sinceMs: number): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const child = join(dir, entry.name);
    removeEmptyChildren(child, sinceMs);
    try {
      if (statSync(child).ctimeMs >= sinceMs) rmdirSync(child);
    } catch {
      // still in use: a leak that must stay visible
    }
  }
}

/**
 * Removes `path` and any of its ancestors created after `sinceMs`, in every hierarchy, with the
 * empty cgroups below it that appeared since.
 */
export function removeCgroupPath(path: string, sinceMs: number): void {
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
    if (path !== '/' && path !== '') removeEmptyChildren(join('/sys/fs/cgroup', hierarchy, path), sinceMs);
    let current = path;
    while (current !== '/' && current !== '') {
      const dir = join('/sys/fs/cgroup', hierarchy, current);
      try {
        if (statSync(dir).ctimeMs < sinceMs) break;
        rmdirSync(dir);
      } catch {
        break;
      }
      current = current.slice(0, current.lastIndexOf('/'));
    }
  }
}
