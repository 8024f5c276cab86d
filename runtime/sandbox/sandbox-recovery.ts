// Half-made pod sandboxes after berth was killed (SIGKILL, power loss) inside RunPodSandbox.
//
// RunPodSandbox writes an intent (<root>/sandboxes/creating/<id>.json: the id, the config, the
// dir) before its first side effect, and deletes it once the sandbox record is written. At start:
//   - an intent whose record exists is a create that finished: the intent goes;
//   - an intent without a record is a half-made sandbox: every artefact it may have made goes,
//     in teardown order: its CNI attachment (DEL with the cached config and result; a netns that
//     is gone does not stop the DEL, so IPAM and iptables let go), its pid namespace holder, the
//     mounts under its dir (namespace pins, /dev/shm), the dir, its own cgroup, and
//     last the intent. A step that fails keeps the intent, so the next start tries again;
//   - a sandbox dir under the state dir that neither a record nor an intent names goes the same
//     way (without a config there is no cgroup to find).
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PodSandboxConfig__Output } from '../../api/cri/messages.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Mounter } from '../../common/linux/mounts.js';
import { RecordStore, type VersionedRecord } from '../state/record-store.js';
import type { SandboxPorts } from './sandbox-ports.js';
import type { SandboxRecord } from './sandbox-record.js';

export const sandboxIntentVersion = 1;

export interface SandboxIntent extends VersionedRecord {
  version: typeof sandboxIntentVersion;
  config: PodSandboxConfig__Output;
  /** The sandbox's dir under the state dir. */
  dir: string;
}

/** What recovery asks of the world beyond the create/remove ports: the mounts left under a dir. */
export interface LeftoverMountsPort {
  /** Unmounts everything mounted at or below `dir` (pins, shm), deepest first; returns what it unmounted. */
  unmountUnder(dir: string): Promise<string[]>;
}

/** The port on the real mount table. A pin stacked twice shows as two mounts: unmount until none is left. */
export function leftoverMounts(mounter: Mounter): LeftoverMountsPort {
  return {
    async unmountUnder(dir) {
      const unmounted: string[] = [];
      for (let pass = 0; pass < 8; pass++) {
        const points = await mounter.mountsUnder(dir);
        if (points.length === 0) break;
        for (const point of points) await mounter.unmount(point, { detach: true });
        unmounted.push(...points);
      }
      return unmounted;
    },
  };
}

/**
 * Every artefact an intent stands for (cgroup, namespaces, mounts, iptables rules, the dir and
 * berth's default network's leases under the state dir) dies with the boot: only a crash of
 * berth needs the intent, and the page cache survives that, so it is written without fsync (two
 * of a pod start's fsyncs). The one exception: a CNI config whose IPAM keeps leases on disk can
 * leak one lease to a power loss inside the few milliseconds of a RunPodSandbox.
 */
export function openSandboxIntents(recordsDir: string, logger: Logger): Promise<RecordStore<SandboxIntent>> {
  return RecordStore.open<SandboxIntent>({ dir: join(recordsDir, 'creating'), kind: 'sandbox intent', version: sandboxIntentVersion, logger, durable: false });
}

export interface SandboxRecovery {
  /** The sandboxes made: lookup by id says absent as undefined. */
  records: { find(id: string): SandboxRecord | undefined; list(): SandboxRecord[] };
  intents: RecordStore<SandboxIntent>;
  /** Where the sandboxes' dirs live (the state dir's sandboxes/). */
  sandboxesDir: string;
  ports: SandboxPorts;
  /** Whether `path` is the pod's own cgroup (…/pod<uid>), which goes with it. */
  isPodOwnCgroup(path: string, podUid: string): boolean;
  logger: Logger;
}

interface Leftover {
  id: string;
  dir: string;
  config?: PodSandboxConfig__Output;
}

const idPattern = /^[a-f0-9]{64}$/;

export async function removeHalfMadeSandboxes(recovery: SandboxRecovery): Promise<void> {
  for (const intent of recovery.intents.list()) {
    if (recovery.records.find(intent.id)) await recovery.intents.delete(intent.id);
    else await removeHalfMade(recovery, intent);
  }
  const names = await readdir(recovery.sandboxesDir).catch(() => [] as string[]);
  for (const name of names) {
    if (!idPattern.test(name) || recovery.records.find(name) || recovery.intents.get(name)) continue;
    await removeHalfMade(recovery, { id: name, dir: join(recovery.sandboxesDir, name) });
  }
}

async function removeHalfMade(recovery: SandboxRecovery, leftover: Leftover): Promise<void> {
  const { ports } = recovery;
  const errors: string[] = [];
  const attempt = async (what: string, step: () => Promise<unknown>): Promise<boolean> => {
    try {
      await step();
      return true;
    } catch (error) {
      errors.push(`${what}: ${errorMessage(error)}`);
      return false;
    }
  };
  const config = leftover.config;
  const m = config?.metadata;
  // Before the pins go: with the netns still there the bridge plugin finds what it must delete.
  if (config?.linux?.securityContext?.namespaceOptions?.network !== 'NODE') {
    await attempt('network', () => ports.network.tearDown({ sandboxId: leftover.id, netnsPath: '', podName: m?.name ?? '', podNamespace: m?.namespace ?? '', podUid: m?.uid ?? '' }));
  }
  // A pid namespace holder (NamespaceMode POD) carries its sandbox's dir: found even if it was started a moment before the crash.
  await attempt('pid namespace', async () => {
    for (const holderPid of await ports.pidNamespaces.holdersOf(leftover.dir)) await ports.pidNamespaces.remove({ holderPid, path: `/proc/${holderPid}/ns/pid` });
  });
  let unmounted: string[] = [];
  const mountsGone = await attempt('mounts', async () => {
    unmounted = await ports.mounts.unmountUnder(leftover.dir);
  });
  // With a mount still under it, rm would empty the mounted tmpfs instead.
  if (mountsGone) await attempt('dir', () => rm(leftover.dir, { recursive: true, force: true }));
  if (config) await attempt('cgroup', () => removeOwnCgroup(recovery, leftover.id, config));

  const log = { podSandboxId: leftover.id, name: m?.name, unmounted };
  if (errors.length > 0) {
    recovery.logger.error({ ...log, errors }, 'a half-made pod sandbox could not be removed entirely; the next start tries again');
    return;
  }
  await recovery.intents.delete(leftover.id);
  recovery.logger.warn(log, leftover.config ? 'removed a pod sandbox whose RunPodSandbox was cut short' : 'removed a pod sandbox dir that no record names');
}

/**
 * The pod's own cgroup, if RunPodSandbox got as far as making it: the one the port makes for a
 * pod without a parent, or a parent named after the pod (…/pod<uid>). Its path is what the port
 * makes of the request; asking again (creating is idempotent) finds it without a record.
 */
async function removeOwnCgroup(recovery: SandboxRecovery, id: string, config: PodSandboxConfig__Output): Promise<void> {
  const parent = config.linux?.cgroupParent ?? '';
  const uid = config.metadata?.uid ?? '';
  if (parent !== '' && parent.split('/').at(-1) !== `pod${uid}`) return;
  const path = await recovery.ports.cgroups.create(parent, id, { resources: null, overhead: null });
  if (parent !== '' && !recovery.isPodOwnCgroup(path, uid)) return;
  if (recovery.records.list().some((other) => other.id !== id && other.cgroupPath === path)) return;
  await recovery.ports.cgroups.remove(path);
}
