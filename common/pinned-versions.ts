// Reads setup/versions.env, the one place pinned versions live (the shell scripts source it).
import { readFileSync } from 'node:fs';
import { packageRoot } from './package-root.js';
import { join } from 'node:path';

export function readPinnedVersions(): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const line of readFileSync(join(packageRoot(), 'setup/versions.env'), 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(\S+)\s*$/.exec(line);
    if (match?.[1] && match[2]) versions[match[1]] = match[2];
  }
  return versions;
}
