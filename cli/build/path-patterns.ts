// Path patterns as docker reads them in .dockerignore and in COPY/ADD sources: Go's
// filepath.Match (`*` and `?` stay inside one path component, `[a-z]` classes, `\` escapes) plus
// `**` for any number of components; .dockerignore's `!` exceptions, the last match winning.
// Paths are relative to the context root, cleaned, `/`-separated. Pure.
import { posix } from 'node:path';

/** A path cleaned as docker cleans a context path: relative to the root, `..` never above it. */
export function cleanContextPath(path: string): string {
  const cleaned = posix.normalize(`/${path}`).slice(1);
  return cleaned.replace(/\/$/, '');
}

function patternRegex(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index] as string;
    if (char === '*') {
      if (pattern[index + 1] === '*') {
        index += 1;
        // `**/` matches no directory too, so `**/x` matches a top-level x.
        if (pattern[index + 1] === '/') {
          index += 1;
          source += '(?:.*/)?';
        } else {
          source += '.*';
        }
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '[') {
      const end = pattern.indexOf(']', index + 1);
      if (end < 0) {
        source += '\\[';
        continue;
      }
      const body = pattern.slice(index + 1, end).replace(/^\^/, '!');
      source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`.replace(/\\(?!\])/g, '\\\\');
      index = end;
    } else if (char === '\\' && index + 1 < pattern.length) {
      index += 1;
      source += (pattern[index] as string).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

export function hasWildcard(path: string): boolean {
  return /[*?[]/.test(path);
}

/** Whether `path` matches the COPY source pattern (both relative to the context root). */
export function matchesSource(pattern: string, path: string): boolean {
  return patternRegex(cleanContextPath(pattern)).test(path);
}

interface IgnoreRule {
  regex: RegExp;
  exception: boolean;
}

/** A .dockerignore file: decides which context paths the build never sees. */
export class IgnoreRules {
  private readonly rules: IgnoreRule[];

  constructor(text: string) {
    this.rules = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const exception = line.startsWith('!');
        const pattern = cleanContextPath((exception ? line.slice(1) : line).trim());
        return { regex: patternRegex(pattern), exception };
      })
      .filter((rule) => rule.regex.source !== '^$');
  }

  /** Whether the build must not see `path`: the last rule matching it or a parent directory of it wins. */
  excludes(path: string): boolean {
    const parts = path.split('/');
    let excluded = false;
    for (const rule of this.rules) {
      for (let length = 1; length <= parts.length; length += 1) {
        if (rule.regex.test(parts.slice(0, length).join('/'))) {
          excluded = !rule.exception;
          break;
        }
      }
    }
    return excluded;
  }

  /** Whether an exception could bring back a path below an excluded directory (so a walk must still go in). */
  hasExceptions(): boolean {
    return this.rules.some((rule) => rule.exception);
  }
}
