// docker diff on overlayfs: what a container changed, read from its writable (upper) layer
// against the image's layers below it, as docker's overlay driver reports it (moby
// pkg/archive/changes.go, overlay variant):
//   - a whiteout (a 0/0 character device) is a deletion: D;
//   - an opaque directory (trusted.overlay.opaque=y) that the image has is a deletion of what was
//     there (D), its current contents then added (A) below it;
//   - anything else the image has is a change (C), except a directory whose size, mode and
//     mtime are the image's (copied up only because something below it changed);
//   - anything else is an addition (A);
//   - the parent of an addition or deletion is changed (C), once, even when its own metadata is
//     the image's (moby#13590), unless it is the root.
// Entries come in walk order (depth first, names sorted), and changes go out in that order.
import type { EntryStat } from '../../common/archive/tree.js';

export type ChangeKind = 'A' | 'C' | 'D';

export interface FilesystemChange {
  path: string;
  kind: ChangeKind;
}

export interface UpperEntry {
  /** Absolute, as the container sees it. */
  path: string;
  stat: EntryStat;
  /** Set for directories: the overlay's opaque mark. */
  opaque: boolean;
  /** What the image's layers have at the same path (the topmost one that has it), if any. */
  lower: EntryStat | undefined;
}

const isWhiteout = (stat: EntryStat) => stat.kind === 'char' && stat.rdev === 0;

function parentOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at <= 0 ? '/' : path.slice(0, at);
}

function kindOf(entry: UpperEntry): ChangeKind | undefined {
  if (isWhiteout(entry.stat)) return 'D';
  if (entry.stat.kind === 'directory' && entry.opaque && entry.lower) return 'D';
  if (!entry.lower) return 'A';
  const { stat, lower } = entry;
  if (stat.kind === 'directory' && lower.kind === 'directory' && stat.size === lower.size && stat.mode === lower.mode && stat.mtime.getTime() === lower.mtime.getTime()) {
    return undefined;
  }
  return 'C';
}

export function filesystemChanges(entries: Iterable<UpperEntry>): FilesystemChange[] {
  const changes: FilesystemChange[] = [];
  const changedDirs = new Set<string>();
  for (const entry of entries) {
    const kind = kindOf(entry);
    if (kind === undefined) continue;
    if (entry.stat.kind === 'directory') changedDirs.add(entry.path);
    if (kind === 'A' || kind === 'D') {
      const parent = parentOf(entry.path);
      if (parent !== '/' && !changedDirs.has(parent)) {
        changes.push({ path: parent, kind: 'C' });
        changedDirs.add(parent);
      }
    }
    changes.push({ path: entry.path, kind });
  }
  return changes;
}

/** Whiteouts (0/0 character devices) in a lower layer hide what the layers below have. */
export function visibleInLayers(stats: readonly (EntryStat | undefined)[]): EntryStat | undefined {
  for (const stat of stats) {
    if (!stat) continue;
    return isWhiteout(stat) ? undefined : stat;
  }
  return undefined;
}
