// What docker info and docker version say about the machine itself. The CRI socket is a unix
// socket, so the runtime berth's CLI talks to runs on this same machine and these are its facts.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, hostname, machine, release, totalmem } from 'node:os';

export interface HostFacts {
  kernelVersion: string;
  operatingSystem: string;
  osType: string;
  architecture: string;
  cpus: number;
  memTotalBytes: number;
  name: string;
  cgroupVersion: '1' | '2';
}

/** PRETTY_NAME of an os-release file's text, as docker's "Operating System". */
export function prettyName(osRelease: string): string {
  const line = osRelease.split('\n').find((entry) => entry.startsWith('PRETTY_NAME='));
  return line ? line.slice('PRETTY_NAME='.length).replace(/^"(.*)"$/, '$1') : 'Linux';
}

/** Go's GOARCH for Node's machine name (docker version's OS/Arch). */
export function goArch(machineName: string): string {
  const names: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', armv7l: 'arm', ppc64le: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return names[machineName] ?? machineName;
}

export function hostFacts(): HostFacts {
  let osRelease = '';
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      osRelease = readFileSync(path, 'utf8');
      break;
    } catch {
      // the next candidate
    }
  }
  return {
    kernelVersion: release(),
    operatingSystem: prettyName(osRelease),
    osType: 'linux',
    architecture: machine(),
    cpus: availableParallelism(),
    memTotalBytes: totalmem(),
    name: hostname(),
    // cgroup.controllers exists only at the root of a cgroup v2 mount.
    cgroupVersion: existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1',
  };
}
