// A CgroupFiles that models a pure cgroup v2 tree in memory and writes down every change berth
// makes as a shell line, so the same calls can be replayed on a real v2 kernel in the qemu guest
// (node cannot run there). The model knows what berth relies on: a new cgroup sees the controllers
// its parent enabled in cgroup.subtree_control, a controller's files exist only where it is
// enabled, rmdir refuses a cgroup with children. The kernel has the last word in the guest.
import { basename, dirname } from 'node:path';
import type { CgroupFiles } from '../../../runtime/cgroups/cgroup-files.js';

function errno(code: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${path}`), { code });
}

const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

export class ReplayedV2Files implements CgroupFiles {
  /** The shell lines that redo every mkdir, write and rmdir, in order; a refusal prints "<op>-failed <path>". */
  readonly lines: string[] = [];
  readonly #dirs = new Map<string, Map<string, string>>();

  constructor(root: string, controllers: readonly string[]) {
    this.#dirs.set(
      root,
      new Map([
        ['cgroup.controllers', controllers.join(' ')],
        ['cgroup.subtree_control', ''],
        ['cgroup.procs', ''],
      ]),
    );
  }

  /** The non-cgroup.* files berth wrote in `dir` (limits), or undefined when the cgroup is absent. */
  written(dir: string): Record<string, string> | undefined {
    const files = this.#dirs.get(dir);
    return files && Object.fromEntries([...files].filter(([name]) => !name.startsWith('cgroup.')));
  }

  async read(path: string): Promise<string | undefined> {
    return this.#dirs.get(dirname(path))?.get(basename(path));
  }

  async write(path: string, value: string): Promise<void> {
    const files = this.#dirs.get(dirname(path));
    const name = basename(path);
    if (!files) throw errno('ENOENT', path);
    if (name === 'cgroup.subtree_control') {
      const enabled = new Set((files.get(name) ?? '').split(' ').filter(Boolean));
      for (const change of value.split(' ').filter(Boolean)) {
        if (change.startsWith('+')) enabled.add(change.slice(1));
        else enabled.delete(change.slice(1));
      }
      files.set(name, [...enabled].join(' '));
    } else if (!name.startsWith('cgroup.')) {
      const controller = name.split('.')[0] ?? '';
      if (!(files.get('cgroup.controllers') ?? '').split(' ').includes(controller)) throw errno('ENOENT', path);
      files.set(name, value);
    }
    this.lines.push(`echo ${quote(value)} > ${path} || echo "write-failed ${path}"`);
  }

  async mkdir(path: string): Promise<void> {
    if (this.#dirs.has(path)) return;
    const parent = this.#dirs.get(dirname(path));
    if (!parent) throw errno('ENOENT', path);
    this.#dirs.set(
      path,
      new Map([
        ['cgroup.controllers', parent.get('cgroup.subtree_control') ?? ''],
        ['cgroup.subtree_control', ''],
        ['cgroup.procs', ''],
      ]),
    );
    this.lines.push(`mkdir ${path} || echo "mkdir-failed ${path}"`);
  }

  async rmdir(path: string): Promise<void> {
    if (!this.#dirs.has(path)) return;
    if ((await this.children(path)).length > 0) throw errno('EBUSY', path);
    this.#dirs.delete(path);
    this.lines.push(`rmdir ${path} || echo "rmdir-failed ${path}"`);
  }

  async children(path: string): Promise<string[]> {
    return [...this.#dirs.keys()].filter((dir) => dirname(dir) === path && dir !== path).map((dir) => basename(dir));
  }
}
