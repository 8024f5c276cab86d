// The one door to cgroupfs: every read, write, mkdir and rmdir the cgroup layer does goes through
// a CgroupFiles, so unit tests pass a recorder and see exactly what would be written, in order.
// Paths are absolute; the implementations above compute them from the roots they were given.
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rmdir, writeFile } from 'node:fs/promises';

export interface CgroupFiles {
  /** The file's text, or undefined when it does not exist (a controller that is not there). */
  read(path: string): Promise<string | undefined>;
  /** One write(2) of `value`: the kernel parses each write as one command. */
  write(path: string, value: string): Promise<void>;
  /** mkdir; an existing directory is fine. */
  mkdir(path: string): Promise<void>;
  /** rmdir; an absent directory is fine; EBUSY (processes or children left) is thrown as is. */
  rmdir(path: string): Promise<void>;
  /** Names of the sub-directories (child cgroups), or [] when the directory is absent. */
  children(path: string): Promise<string[]>;
}

/** The errno name (ENOENT, EBUSY, ...) of a failed fs call, if it has one. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** The real cgroupfs. */
export const nodeCgroupFiles: CgroupFiles = {
  // Synchronous on purpose: cgroupfs files are generated from kernel memory and never wait on a
  // disk, so a read takes microseconds, while an async readFile is an open, fstat, reads and a
  // close, each a hop through the libuv pool: at 50 pods the stats passes spent most of their time
  // in those hops (bench at 50 pods: ListPodSandboxMetrics 165 → 24 ms, /metrics/cadvisor 258 → 75 ms).
  async read(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  },
  async write(path, value) {
    // flag 'r+': cgroup files exist or the controller is missing; never create a regular file.
    await writeFile(path, value, { flag: 'r+' });
  },
  async mkdir(path) {
    try {
      await mkdir(path);
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
    }
  },
  async rmdir(path) {
    try {
      await rmdir(path);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  },
  async children(path) {
    try {
      const entries = await readdir(path, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory()).map((e) => e.name);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return [];
      throw error;
    }
  },
};
