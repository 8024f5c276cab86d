// An in-memory cgroupfs for unit tests: directories and files in a map, every write recorded in
// order, and failures injectable per file, so the implementations' logic is checked without root.
import { dirname } from 'node:path';
import type { CgroupFiles } from '../../../runtime/cgroups/cgroup-files.js';

export class MemoryCgroupFiles implements CgroupFiles {
  readonly files = new Map<string, string>();
  readonly dirs = new Set<string>();
  readonly writes: Array<[path: string, value: string]> = [];
  readonly removed: string[] = [];
  /** path → errno code to throw on write. */
  readonly failWrites = new Map<string, string>();
  /** Files a new directory gets, with their initial content (what the kernel would create). */
  constructor(private readonly template: Record<string, string> = {}) {}

  addDir(path: string, files: Record<string, string> = this.template): void {
    this.dirs.add(path);
    for (const [name, content] of Object.entries(files)) this.files.set(`${path}/${name}`, content);
  }

  async read(path: string): Promise<string | undefined> {
    return this.files.get(path);
  }

  async write(path: string, value: string): Promise<void> {
    const code = this.failWrites.get(path);
    if (code) throw Object.assign(new Error(`${code}: write ${path}`), { code });
    if (!this.files.has(path)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    this.writes.push([path, value]);
    // The kernel lists enabled controllers without the "+" they were written with.
    this.files.set(path, path.endsWith('/cgroup.subtree_control') ? mergeControllers(this.files.get(path) ?? '', value) : value);
  }

  async mkdir(path: string): Promise<void> {
    if (this.dirs.has(path)) return;
    if (!this.dirs.has(dirname(path))) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    this.addDir(path);
  }

  async rmdir(path: string): Promise<void> {
    if (!this.dirs.has(path)) return;
    this.dirs.delete(path);
    for (const file of [...this.files.keys()]) if (file.startsWith(`${path}/`)) this.files.delete(file);
    this.removed.push(path);
  }

  async children(path: string): Promise<string[]> {
    return [...this.dirs].filter((d) => dirname(d) === path).map((d) => d.slice(path.length + 1));
  }
}

function mergeControllers(current: string, change: string): string {
  const enabled = new Set(current.split(/\s+/).filter(Boolean));
  for (const token of change.split(/\s+/).filter(Boolean)) {
    if (token.startsWith('+')) enabled.add(token.slice(1));
    else if (token.startsWith('-')) enabled.delete(token.slice(1));
  }
  return [...enabled].join(' ');
}
