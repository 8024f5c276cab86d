// The node directories the kubelet manages for a pod (its log directory and its volumes), behind a
// small port so pod workers can be unit-tested with a recorder instead of touching the node.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-file.js';
import { managedHostsFile } from './hosts-file.js';
import { terminationMessageHostPath } from './termination-message.js';
import type { Mount } from '../api/cri/messages.js';
import type { PodRuntimeFacts } from './downward-api.js';
import type { VolumeSources } from './volume-payload.js';
import { containerMounts, preparePodVolumes, removePodVolumes, type PreparedVolume } from './volumes.js';

export interface PodDirs {
  /** Creates the directory and its parents; succeeds when it exists. */
  ensureDir(path: string): Promise<void>;
  /** Removes the directory and everything in it; succeeds when it is absent. */
  removeDir(path: string): Promise<void>;
  /** The pod's volumes made ready (or brought up to date) on the node, the mountable ones by name. */
  prepareVolumes(pod: V1Pod, facts: PodRuntimeFacts, warn: (message: string) => void): Promise<Map<string, PreparedVolume>>;
  /** A container's mounts of the prepared volumes, subPaths (and subPathExprs, expanded with `env`) resolved safely. */
  containerMounts(container: V1Container, volumes: ReadonlyMap<string, PreparedVolume>, env: ReadonlyMap<string, string>): Promise<Mount[]>;
  /** Unmounts and removes the pod's volumes; succeeds when there are none. */
  removeVolumes(uid: string): Promise<void>;
  /** Makes the empty host file a container instance's termination message is mounted from; returns its path. */
  terminationMessageFile(podUid: string, container: string, attempt: number): Promise<string>;
  /** Writes the pod's managed /etc/hosts (hosts-file.ts) and returns its path on the node. */
  writeHostsFile(pod: V1Pod, podIps: readonly string[], clusterDomain: string): Promise<string>;
}

/** `sources`: the API objects volumes refer to; undefined in standalone mode. */
export function nodePodDirs(rootDir: string, sources?: VolumeSources & { forget?(podUid: string): void }): PodDirs {
  return {
    ensureDir: async (path) => {
      await mkdir(path, { recursive: true, mode: 0o755 });
    },
    removeDir: (path) => rm(path, { recursive: true, force: true }),
    prepareVolumes: (pod, facts, warn) => preparePodVolumes(pod, rootDir, { sources, facts }, warn),
    containerMounts,
    writeHostsFile: async (pod, podIps, clusterDomain) => {
      const path = join(rootDir, 'pods', pod.metadata?.uid ?? '', 'etc-hosts');
      const nodeHosts = pod.spec?.hostNetwork ? await readFile('/etc/hosts', 'utf8').catch(() => '') : '';
      await mkdir(dirname(path), { recursive: true, mode: 0o755 });
      // Containers read it while it is replaced: whole or not at all, world-readable like /etc/hosts.
      await writeFileAtomic(path, managedHostsFile(pod, podIps, clusterDomain, nodeHosts), 0o644);
      return path;
    },
    terminationMessageFile: async (podUid, container, attempt) => {
      const path = terminationMessageHostPath(join(rootDir, 'pods'), podUid, container, attempt);
      await mkdir(dirname(path), { recursive: true, mode: 0o755 });
      await writeFile(path, '');
      // Whatever user the container runs as writes it (upstream: 0666); mode passes the umask, chmod does not.
      await chmod(path, 0o666);
      return path;
    },
    removeVolumes: async (uid) => {
      sources?.forget?.(uid);
      await removePodVolumes(rootDir, uid);
    },
  };
}
