// The path rules of the tars `cp` and `export` move, pure so they are unit-tested: how an entry's
// name becomes components below the directory it is extracted into (never above it), and which
// name the top of a copied tree gets.
import { InvalidArgumentError } from '../errors.js';

/**
 * The components of a tar entry's name below the extraction directory. A leading `/` or `./` is
 * dropped (GNU tar and docker write both); `..` anywhere is refused rather than resolved: an
 * archive that names its way out of the directory (CVE-2018-15664's kind) gets an error, not a
 * clamp that would quietly write somewhere else.
 */
export function entryComponents(name: string): string[] {
  if (name.includes('\0')) throw new InvalidArgumentError(`tar entry ${JSON.stringify(name)} has a NUL byte in its name`);
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new InvalidArgumentError(`tar entry ${JSON.stringify(name)} leaves the directory it is extracted into (..)`);
  return parts;
}

/** Replaces the first component (the copied tree's own name) with `top`; `undefined` keeps it. */
export function renameTop(components: readonly string[], top: string | undefined): string[] {
  if (top === undefined || components.length === 0) return [...components];
  return [top, ...components.slice(1)];
}

/** The components of an absolute or relative path, `.` dropped and `..` applied (never above the top). */
export function pathComponents(path: string): string[] {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out;
}

/** docker cp's `SRC/.`: the directory's contents, not the directory itself. */
export function namesContents(path: string): boolean {
  return path === '.' || path.endsWith('/.');
}

/** The name the source has at the destination: its own base name (`/` itself has none). */
export function baseName(path: string): string {
  return pathComponents(path).at(-1) ?? '';
}
