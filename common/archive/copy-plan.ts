// docker cp's rules for where a copy lands (docs.docker.com "docker container cp"), pure so each
// case is unit-tested; the same rules serve both directions.
//   SRC a file:      DEST missing → written as DEST (its parent must exist; `DEST/` is an error);
//                    DEST a file → overwritten; DEST a directory → DEST/<base name of SRC>.
//   SRC a directory: DEST missing → created as DEST with SRC's contents;
//                    DEST a file → an error;
//                    DEST a directory → DEST/<base name of SRC>, or with `SRC/.` SRC's contents
//                    straight into DEST.
import { InvalidArgumentError } from '../errors.js';
import { baseName, namesContents } from './archive-paths.js';

export type DestinationKind = 'missing' | 'directory' | 'other';

export interface CopyPlan {
  /** The existing directory the archive is extracted into. */
  into: string;
  /** The name the copied tree's top entry takes there; undefined: its contents go straight in. */
  top: string | undefined;
}

/** The parent directory of a path as written (`/a/b/` → `/a`, `b` → `.`). */
export function parentPath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const at = trimmed.lastIndexOf('/');
  if (at < 0) return '.';
  return at === 0 ? '/' : trimmed.slice(0, at);
}

export function planCopy(source: { path: string; isDirectory: boolean }, destination: { path: string; kind: DestinationKind }): CopyPlan {
  const contents = namesContents(source.path);
  if (contents && !source.isDirectory) throw new InvalidArgumentError(`${source.path}: the source is not a directory (\`/.\` copies a directory's contents)`);
  const wantsDirectory = destination.path.endsWith('/') || namesContents(destination.path);
  switch (destination.kind) {
    case 'missing':
      if (!source.isDirectory && wantsDirectory) throw new InvalidArgumentError(`destination directory ${destination.path} must exist`);
      return { into: parentPath(destination.path), top: baseName(destination.path) };
    case 'other':
      if (source.isDirectory) throw new InvalidArgumentError(`cannot copy a directory to a file: ${destination.path} is not a directory`);
      if (wantsDirectory) throw new InvalidArgumentError(`destination ${destination.path} is not a directory`);
      return { into: parentPath(destination.path), top: baseName(destination.path) };
    case 'directory':
      if (contents) return { into: destination.path, top: undefined };
      return { into: destination.path, top: baseName(source.path) || undefined };
  }
}
