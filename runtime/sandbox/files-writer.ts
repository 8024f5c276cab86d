// Puts a sandbox's files on disk (atomically, readable by non-root containers) and mounts its
// /dev/shm. The host's files and hostname come in as parameters so tests can point elsewhere.
import { readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { PodSandboxConfig__Output } from '../../api/cri/messages.js';
import { cleanupSignal, type Abortable } from '../../common/abort.js';
import { writeVolatileFileAtomic } from '../../common/atomic-file.js';
import type { Mounter } from '../../common/linux/mounts.js';
import { hostnameFileContent, hostsFileContent, resolvConfContent } from './files.js';
import type { SandboxFiles } from './sandbox-record.js';
import { mountSandboxShm, unmountSandboxShm } from './shm.js';

export interface SandboxFilesRequest {
  hostname: string;
  ips: string[];
  config: PodSandboxConfig__Output;
  hostIpc: boolean;
}

export class SandboxFileWriter {
  private readonly mounter: Mounter;
  private readonly hostHostsPath: string;
  private readonly hostResolvConfPath: string;
  private readonly hostHostname: string;

  constructor(options: { mounter: Mounter; hostHostsPath?: string; hostResolvConfPath?: string; hostHostname?: string }) {
    this.mounter = options.mounter;
    this.hostHostsPath = options.hostHostsPath ?? '/etc/hosts';
    this.hostResolvConfPath = options.hostResolvConfPath ?? '/etc/resolv.conf';
    this.hostHostname = options.hostHostname ?? osHostname();
  }

  async prepare(dir: string, request: SandboxFilesRequest, options: Abortable = {}): Promise<SandboxFiles> {
    const hostNetwork = request.config.linux?.securityContext?.namespaceOptions?.network === 'NODE';
    const hostname = request.hostname || this.hostHostname;
    const files: SandboxFiles = {
      hostsPath: join(dir, 'hosts'),
      resolvConfPath: join(dir, 'resolv.conf'),
      hostnamePath: join(dir, 'hostname'),
    };
    // A host-network pod shares the node's names, as under containerd and CRI-O.
    const hosts = hostNetwork ? await readFile(this.hostHostsPath, 'utf8') : hostsFileContent(hostname, request.ips);
    const resolv = resolvConfContent(request.config.dnsConfig, await readHostResolvConf(this.hostResolvConfPath));
    // Under the volatile state dir: atomic against a berth crash, no fsync (common/atomic-file.ts);
    // written while the /dev/shm mount runs.
    const [shm, ...writes] = await Promise.allSettled([
      request.hostIpc ? undefined : mountSandboxShm(this.mounter, dir, options),
      writeVolatileFileAtomic(files.hostsPath, hosts, 0o644),
      writeVolatileFileAtomic(files.resolvConfPath, resolv, 0o644),
      writeVolatileFileAtomic(files.hostnamePath, hostnameFileContent(hostname), 0o644),
    ]);
    const failed = [shm, ...writes].find((outcome) => outcome.status === 'rejected');
    if (failed) {
      // The caller registers release() only for files it got: a mount made beside a failed write goes here.
      if (shm.status === 'fulfilled' && shm.value) await unmountSandboxShm(this.mounter, shm.value, { signal: cleanupSignal() }).catch(() => undefined);
      throw failed.reason;
    }
    if (shm.status === 'fulfilled' && shm.value) files.shmPath = shm.value;
    return files;
  }

  async release(_dir: string, files: SandboxFiles, options: Abortable = {}): Promise<void> {
    if (files.shmPath) await unmountSandboxShm(this.mounter, files.shmPath, options);
  }
}

/** A host without /etc/resolv.conf gives pods an empty one (resolution then fails visibly). */
async function readHostResolvConf(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}
