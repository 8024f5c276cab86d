// Finds the driver's user-space files inside a driver root: libraries through the root's own
// ld.so.cache (falling back to the standard directories), binaries on the standard PATH
// directories, GSP firmware and the daemons' sockets. A driver installed under /usr/local/nvidia
// (GKE's layout, and hosts whose processes reach the driver through LD_LIBRARY_PATH and PATH)
// is outside the loader's cache, so that prefix is searched as well. Every path is resolved as if the root were
// "/", so a driver root mounted elsewhere (a driver container) yields the container paths and
// host paths the CDI spec needs.
import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, posix } from 'node:path';
import { capabilityBinaries, capabilityLibraries, capabilityOfLibrary, driverCapabilities, libraryBaseName, libraryVersion, versionedLibraries, type DriverCapability } from './driver-capabilities.js';
import { hostLdCacheArch, parseLdCache, type LdCacheEntry } from './ld-cache.js';

export type DriverFileKind = 'library' | 'binary' | 'firmware' | 'socket' | 'directory';

export interface DriverFile {
  kind: DriverFileKind;
  capability: DriverCapability;
  /**
   * Path inside the driver root, which is also the path in the container; except binaries from
   * /usr/local/nvidia/bin, which go to /usr/bin so that they are on the container's PATH.
   */
  path: string;
  /** Where the file is on this host (driver root + path). */
  hostPath: string;
  /** Other names that lead to this file in the root, e.g. the soname link "libcuda.so.1". */
  links: string[];
}

export interface DriverFiles {
  version?: string;
  libraries: DriverFile[];
  binaries: DriverFile[];
  firmware: DriverFile[];
  ipc: DriverFile[];
  warnings: string[];
}

const libraryDirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/lib64', '/lib'];
/** Driver libraries that the loader's cache does not list: searched whether or not there is a cache. */
const unindexedLibraryDirs = ['/usr/local/nvidia/lib64', '/usr/local/nvidia/lib'];
const binaryDirs = ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/bin', '/usr/local/nvidia/bin'];
/** Binaries found here are mounted at /usr/bin/<name> in the container. */
const offPathBinaryDir = '/usr/local/nvidia/bin';
/** Firmware directories, each with the top directory that merged-/usr roots turn into a link. */
const firmwareDirs = [
  { top: '/lib', dir: '/lib/firmware/nvidia' },
  { top: '/usr', dir: '/usr/lib/firmware/nvidia' },
];
const maxLinks = 16;

type FileType = 'file' | 'directory' | 'socket' | 'other';

async function typeOf(hostPath: string): Promise<FileType | undefined> {
  try {
    const s = await lstat(hostPath);
    if (s.isFile()) return 'file';
    if (s.isDirectory()) return 'directory';
    if (s.isSocket()) return 'socket';
    return 'other';
  } catch {
    return undefined;
  }
}

/**
 * Follows symlinks of the last component as if `root` were "/": an absolute target stays inside
 * the root. Returns the final path inside the root, or undefined when the chain is broken.
 */
export async function resolveInRoot(root: string, path: string): Promise<string | undefined> {
  let current = normalize(path);
  for (let i = 0; i < maxLinks; i++) {
    let target: string;
    try {
      target = await readlink(join(root, current));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EINVAL') return current; // not a link: the end of the chain
      return undefined;
    }
    current = posix.normalize(isAbsolute(target) ? target : join(dirname(current), target));
  }
  return undefined;
}

async function readCache(root: string): Promise<LdCacheEntry[] | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(root, 'etc/ld.so.cache'));
  } catch {
    return undefined;
  }
  return parseLdCache(bytes);
}

async function listDir(hostDir: string): Promise<Dirent[]> {
  try {
    return await readdir(hostDir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Candidate (soname-ish) paths of every known driver library, from the cache or the dirs. */
async function libraryCandidates(root: string, warnings: string[]): Promise<string[]> {
  const wanted = new Set(driverCapabilities.flatMap((c) => capabilityLibraries[c]));
  let entries: LdCacheEntry[] | undefined;
  try {
    entries = await readCache(root);
  } catch (error) {
    warnings.push(`${join(root, 'etc/ld.so.cache')}: ${(error as Error).message}; searching the standard directories`);
  }
  const found: string[] = [];
  const scan = async (dirs: readonly string[]) => {
    for (const dir of dirs) {
      for (const entry of await listDir(join(root, dir))) {
        if (/\.so\.\d/.test(entry.name) && wanted.has(libraryBaseName(entry.name) ?? '')) found.push(join(dir, entry.name));
      }
    }
  };
  if (entries !== undefined) {
    const arch = hostLdCacheArch();
    found.push(...entries.filter((e) => e.arch === arch && wanted.has(libraryBaseName(e.soname) ?? '')).map((e) => e.path));
  } else {
    await scan(libraryDirs);
  }
  await scan(unindexedLibraryDirs);
  return [...new Set(found)];
}

async function findLibraries(root: string, warnings: string[]): Promise<{ libraries: DriverFile[]; version?: string }> {
  const byRealPath = new Map<string, DriverFile>();
  for (const candidate of await libraryCandidates(root, warnings)) {
    const real = await resolveInRoot(root, candidate);
    if (real === undefined || (await typeOf(join(root, real))) !== 'file') {
      warnings.push(`${join(root, candidate)} leads to no regular file; skipped`);
      continue;
    }
    const capability = capabilityOfLibrary(libraryBaseName(posix.basename(real)) ?? '');
    if (capability === undefined) continue;
    const file = byRealPath.get(real) ?? { kind: 'library', capability, path: real, hostPath: join(root, real), links: [] };
    if (candidate !== real && !file.links.includes(candidate)) file.links.push(candidate);
    byRealPath.set(real, file);
  }
  const libraries = [...byRealPath.values()];
  let version: string | undefined;
  for (const name of versionedLibraries) {
    const lib = libraries.find((l) => libraryBaseName(posix.basename(l.path)) === name);
    version = lib && libraryVersion(posix.basename(lib.path));
    if (version !== undefined) break;
  }
  if (version === undefined) return { libraries };
  // A library of another driver version is a leftover of an older install: loading it beside
  // this driver's libcuda fails in confusing ways, so it stays out.
  const consistent = libraries.filter((l) => {
    const v = libraryVersion(posix.basename(l.path));
    if (v === undefined || v === version) return true;
    warnings.push(`${l.hostPath} is version ${v}, not the driver's ${version}; skipped`);
    return false;
  });
  return { libraries: consistent, version };
}

async function findBinaries(root: string): Promise<DriverFile[]> {
  const binaries: DriverFile[] = [];
  for (const capability of driverCapabilities) {
    for (const name of capabilityBinaries[capability]) {
      for (const dir of binaryDirs) {
        const candidate = join(dir, name);
        const real = await resolveInRoot(root, candidate);
        if (real === undefined || (await typeOf(join(root, real))) !== 'file') continue;
        // Mounted at the name users type, whatever the file behind it is called.
        const path = dir === offPathBinaryDir ? posix.join('/usr/bin', name) : candidate;
        binaries.push({ kind: 'binary', capability, path, hostPath: join(root, real), links: [] });
        break;
      }
    }
  }
  return binaries;
}

async function findFirmware(root: string, version: string | undefined): Promise<DriverFile[]> {
  if (version === undefined) return [];
  const firmware: DriverFile[] = [];
  for (const { top, dir } of firmwareDirs) {
    // On merged-/usr roots /lib is a link to /usr/lib: the same files would be listed twice.
    if ((await resolveInRoot(root, top)) !== top) continue;
    const versionDir = join(dir, version);
    for (const entry of await listDir(join(root, versionDir))) {
      if (!entry.isFile() || !/^gsp.*\.bin$/.test(entry.name)) continue;
      const path = join(versionDir, entry.name);
      firmware.push({ kind: 'firmware', capability: 'utility', path, hostPath: join(root, path), links: [] });
    }
  }
  return firmware;
}

async function findIpc(root: string): Promise<DriverFile[]> {
  const ipc: DriverFile[] = [];
  const persistenced = '/run/nvidia-persistenced/socket';
  if ((await typeOf(join(root, persistenced))) === 'socket') {
    ipc.push({ kind: 'socket', capability: 'utility', path: persistenced, hostPath: join(root, persistenced), links: [] });
  }
  const mps = '/tmp/nvidia-mps';
  if ((await typeOf(join(root, mps))) === 'directory') {
    ipc.push({ kind: 'directory', capability: 'compute', path: mps, hostPath: join(root, mps), links: [] });
  }
  return ipc;
}

export async function findDriverFiles(driverRoot: string): Promise<DriverFiles> {
  const warnings: string[] = [];
  const { libraries, version } = await findLibraries(driverRoot, warnings);
  const [binaries, firmware, ipc] = await Promise.all([findBinaries(driverRoot), findFirmware(driverRoot, version), findIpc(driverRoot)]);
  return { ...(version !== undefined ? { version } : {}), libraries, binaries, firmware, ipc, warnings };
}
