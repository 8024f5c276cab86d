// What the node reports about itself, read from the real machine. Every root is a parameter so
// tests can point it at a prepared directory; the parsers are pure and exported for unit tests.
import { readFile, readdir, statfs } from 'node:fs/promises';
import { arch, cpus, hostname, release } from 'node:os';
import { join } from 'node:path';

export interface MachineFacts {
  hostname: string;
  cpuCount: number;
  memoryBytes: number;
  memoryAvailableBytes: number;
  /** Pre-allocated 2 MiB huge pages, in bytes (capacity hugepages-2Mi). */
  hugepages2MiBytes: number;
  rootFsCapacityBytes: number;
  rootFsAvailableBytes: number;
  pidMax: number;
  processCount: number;
  kernelVersion: string;
  osImage: string;
  machineId: string;
  bootId: string;
  /** GOARCH spelling (amd64, arm64), as Kubernetes labels and nodeInfo use. */
  architecture: string;
}

export interface MachineRoots {
  /** /proc */
  procDir: string;
  /** /etc */
  etcDir: string;
  /** A directory on the filesystem that holds the kubelet's and pods' data (ephemeral storage). */
  dataDir: string;
}

/** /proc/meminfo values in bytes, by key (MemTotal, MemAvailable, ...). */
export function parseMeminfo(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+):\s+(\d+)(?:\s+kB)?$/.exec(line.trim());
    if (match?.[1] && match[2]) values.set(match[1], Number(match[2]) * (line.includes('kB') ? 1024 : 1));
  }
  return values;
}

/** PRETTY_NAME from os-release, unquoted; "Linux" when absent. */
export function parseOsReleasePrettyName(text: string): string {
  for (const line of text.split('\n')) {
    const match = /^PRETTY_NAME=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) return match[1].replace(/^(["'])(.*)\1$/, '$2');
  }
  return 'Linux';
}

/** Node's names for architectures, as Go (and so Kubernetes labels) spell them. */
export const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

async function readTrimmed(path: string): Promise<string> {
  return (await readFile(path, 'utf8')).trim();
}

export async function readMachineFacts(roots: MachineRoots): Promise<MachineFacts> {
  const [meminfo, osRelease, machineId, bootId, pidMax, procEntries, fs] = await Promise.all([
    readFile(join(roots.procDir, 'meminfo'), 'utf8'),
    readFile(join(roots.etcDir, 'os-release'), 'utf8').catch(() => ''),
    readTrimmed(join(roots.etcDir, 'machine-id')).catch(() => ''),
    readTrimmed(join(roots.procDir, 'sys/kernel/random/boot_id')),
    readTrimmed(join(roots.procDir, 'sys/kernel/pid_max')),
    readdir(roots.procDir),
    statfs(roots.dataDir),
  ]);
  const memory = parseMeminfo(meminfo);
  return {
    hostname: hostname(),
    cpuCount: cpus().length,
    memoryBytes: memory.get('MemTotal') ?? 0,
    memoryAvailableBytes: memory.get('MemAvailable') ?? memory.get('MemFree') ?? 0,
    hugepages2MiBytes: memory.get('Hugepagesize') === 2 * 1024 * 1024 ? (memory.get('HugePages_Total') ?? 0) * 2 * 1024 * 1024 : 0,
    rootFsCapacityBytes: fs.blocks * fs.bsize,
    rootFsAvailableBytes: fs.bavail * fs.bsize,
    pidMax: Number(pidMax),
    processCount: procEntries.filter((name) => /^\d+$/.test(name)).length,
    kernelVersion: release(),
    osImage: parseOsReleasePrettyName(osRelease),
    machineId,
    bootId,
    architecture: goArch[arch()] ?? arch(),
  };
}
