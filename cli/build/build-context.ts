// The build context: the directory COPY and ADD read from, less what .dockerignore excludes.
// A source names a path in it (wildcards matched against every path the build may see); the
// context's symlinks are never followed: one inside a source path is refused, one named as a
// source or met in a copied directory is copied as the link it is. So a context cannot hand the
// build a file from outside itself (a link to /etc/shadow stays a link).
import type { Stats } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError, NotFoundError } from '../../common/errors.js';
import { cleanContextPath, hasWildcard, IgnoreRules, matchesSource } from './path-patterns.js';

export interface ContextEntry {
  /** Relative to the context root, `/`-separated. */
  path: string;
  stats: Stats;
}

export class BuildContext {
  private constructor(
    readonly root: string,
    private readonly ignore: IgnoreRules,
  ) {}

  static async open(root: string): Promise<BuildContext> {
    const ignoreText = await readFile(join(root, '.dockerignore'), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    return new BuildContext(root, new IgnoreRules(ignoreText));
  }

  absolute(path: string): string {
    return join(this.root, path);
  }

  /** The entry at `path`, its parents checked not to be symlinks; undefined when absent or excluded. */
  private async entryAt(path: string): Promise<ContextEntry | undefined> {
    if (path !== '' && this.ignore.excludes(path)) return undefined;
    const parts = path === '' ? [] : path.split('/');
    for (let length = 1; length < parts.length; length += 1) {
      const parent = parts.slice(0, length).join('/');
      const stats = await lstat(this.absolute(parent)).catch(() => undefined);
      if (!stats) return undefined;
      if (stats.isSymbolicLink()) throw new FailedPreconditionError(`${path}: ${parent} in the build context is a symlink; berth build never follows the context's symlinks`);
    }
    const stats = await lstat(this.absolute(path)).catch(() => undefined);
    return stats ? { path, stats } : undefined;
  }

  /** Every entry below `dir` (not `dir` itself) the build may see, parents before children, in name order. */
  async below(dir: string): Promise<ContextEntry[]> {
    const found: ContextEntry[] = [];
    const walk = async (at: string): Promise<void> => {
      for (const name of (await readdir(this.absolute(at))).sort()) {
        const path = at === '' ? name : `${at}/${name}`;
        const stats = await lstat(this.absolute(path));
        const excluded = this.ignore.excludes(path);
        if (!excluded) found.push({ path, stats });
        // An excluded directory is still walked when an exception (`!dir/keep`) may bring something back.
        if (stats.isDirectory() && (!excluded || this.ignore.hasExceptions())) await walk(path);
      }
    };
    await walk(dir);
    return found;
  }

  /** The entries a COPY/ADD source names; NotFoundError (with the source) when nothing matches. */
  async sources(source: string): Promise<ContextEntry[]> {
    const path = cleanContextPath(source);
    if (!hasWildcard(path)) {
      const entry = await this.entryAt(path);
      if (!entry) throw new NotFoundError(`"${source}" is not in the build context${this.ignore.excludes(path) ? ' (.dockerignore excludes it)' : ''}`);
      return [entry];
    }
    const matched = (await this.below('')).filter((entry) => matchesSource(path, entry.path));
    if (matched.length === 0) throw new NotFoundError(`no file in the build context matches "${source}"`);
    // A matched directory's own matches below it would be copied twice; keep the topmost.
    return matched.filter((entry) => !matched.some((other) => other !== entry && other.stats.isDirectory() && entry.path.startsWith(`${other.path}/`)));
  }
}
