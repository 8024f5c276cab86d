// `berth wait`, `start`, `restart` and `container prune`: docker's lifecycle commands over the CRI.
// The CRI cannot start a container twice, so starting an exited one (and every restart) makes a
// new container from the exited one's recorded ContainerConfig, in its pod (or, when `berth stop`
// stopped that pod, in a new pod from the pod's recorded config), and removes the old one.
import { setTimeout as sleep } from 'node:timers/promises';
import { FailedPreconditionError } from '../../common/errors.js';
import type { ContainerConfig, PodSandboxConfig } from '../../api/cri/messages.js';
import type { CriSession, ListedContainer } from './cri-session.js';
import { humanSize } from './container-commands.js';
import type { LogWriters } from './log-output.js';
import { removeCliPod } from './remove-pod.js';
import { cliNameLabel } from './run-plan.js';
import { recordedInfo } from './recorded-info.js';

const isCliContainer = (listed: ListedContainer) => listed.container.labels?.[cliNameLabel] !== undefined;

/** Prints each container's exit code once it has exited, in the order given; the last code. */
export async function waitContainers(session: CriSession, references: readonly string[], out: LogWriters['stdout'], pollMs = 200): Promise<void> {
  for (const reference of references) {
    const { id } = await session.find(reference);
    for (;;) {
      const { status } = await session.client.containerStatus(id);
      if (status?.state === 'CONTAINER_EXITED') {
        out.write(`${status.exitCode}\n`);
        break;
      }
      await sleep(pollMs);
    }
  }
}

function recordedConfig<T>(info: Record<string, string> | undefined, what: string): T {
  const config = recordedInfo<T>(info).config;
  if (!config) throw new FailedPreconditionError(`the runtime did not report the ${what} config (verbose status): berth can only recreate containers on berth`);
  return config;
}

/**
 * An env value of a recorded config as bytes again: the record went through JSON, where a Buffer
 * became {type: 'Buffer', data: [...]}, which gRPC would send as an empty value (found by
 * compose's start: the recreated container had lost its environment).
 */
export function envBytes(value: unknown): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value);
  const serialized = value as { type?: string; data?: number[] } | undefined;
  return Buffer.from(serialized?.type === 'Buffer' && Array.isArray(serialized.data) ? serialized.data : []);
}

/** A new container from `listed`'s recorded config, started; the old one (and its stopped pod) removed. */
async function recreate(session: CriSession, listed: ListedContainer): Promise<void> {
  if (!isCliContainer(listed)) {
    throw new FailedPreconditionError(`container ${listed.name} belongs to the kubelet: restart its pod through the API server instead`);
  }
  const oldPodId = listed.container.podSandboxId;
  // The recorded config is the one as created; what changed since (a rename's labels, updated
  // limits) is in the status, and the new container takes that.
  const status = await session.client.containerStatus(listed.id, true);
  const recorded = recordedConfig<ContainerConfig>(status.info, 'container');
  const resources = status.status?.resources?.linux;
  const containerConfig: ContainerConfig = {
    ...recorded,
    envs: (recorded.envs ?? []).map(({ key, value }) => ({ key: key ?? '', value: envBytes(value) })),
    labels: status.status?.labels ?? recorded.labels ?? {},
    ...(resources && recorded.linux ? { linux: { ...recorded.linux, resources } } : {}),
  };
  const pod = await session.client.podSandboxStatus(oldPodId, true);
  const recordedPod = recordedConfig<PodSandboxConfig>(pod.info, 'pod');
  let podConfig: PodSandboxConfig = { ...recordedPod, labels: pod.status?.labels ?? recordedPod.labels ?? {} };
  let podId = oldPodId;
  const podReady = pod.status?.state === 'SANDBOX_READY';
  if (!podReady) {
    // A stopped pod has lost its network: the container goes into a new pod of the same config.
    podConfig = { ...podConfig, metadata: { ...podConfig.metadata, attempt: (podConfig.metadata?.attempt ?? 0) + 1 } };
    podId = (await session.client.runPodSandbox(podConfig)).podSandboxId;
  }
  const attempt = (containerConfig.metadata?.attempt ?? 0) + 1;
  let containerId = '';
  try {
    ({ containerId } = await session.client.createContainer(podId, { ...containerConfig, metadata: { ...containerConfig.metadata, attempt } }, podConfig));
    await session.client.startContainer(containerId);
  } catch (error) {
    // Undo what this call made, so the old container stays the only one to start again.
    const undo = podReady ? (containerId ? session.client.removeContainer(containerId) : Promise.resolve()) : removeCliPod(session, podId, '');
    await undo.catch((cleanupError: unknown) => {
      throw new AggregateError([error, cleanupError], `could not run ${listed.name} again, nor remove what was made for it`);
    });
    throw error;
  }
  // The new pod shares the old one's log directory, so the old pod goes without it.
  if (podReady) await session.client.removeContainer(listed.id);
  else await removeCliPod(session, oldPodId, '');
}

export async function startContainers(session: CriSession, references: readonly string[], out: LogWriters['stdout']): Promise<void> {
  for (const reference of references) {
    const listed = await session.find(reference);
    switch (listed.container.state) {
      case 'CONTAINER_CREATED':
        await session.client.startContainer(listed.id);
        break;
      case 'CONTAINER_EXITED':
        await recreate(session, listed);
        break;
      default:
        // docker start of a running container succeeds and does nothing.
        break;
    }
    out.write(`${reference}\n`);
  }
}

export async function restartContainers(session: CriSession, references: readonly string[], timeoutSeconds: number, out: LogWriters['stdout']): Promise<void> {
  for (const reference of references) {
    const listed = await session.find(reference);
    if (listed.container.state === 'CONTAINER_RUNNING') await session.client.stopContainer(listed.id, timeoutSeconds);
    await recreate(session, listed);
    out.write(`${reference}\n`);
  }
}

export const pruneWarning = 'WARNING! This will remove all stopped containers.';

/** Removes the CLI's containers that are not running, with their pods: their ids and the bytes freed. */
export async function removeStoppedContainers(session: CriSession): Promise<{ deleted: string[]; reclaimedBytes: number }> {
  const stopped = (await session.containers()).filter((listed) => isCliContainer(listed) && listed.container.state !== 'CONTAINER_RUNNING');
  const deleted: string[] = [];
  let reclaimedBytes = 0;
  for (const listed of stopped) {
    const [{ stats }, { status }] = await Promise.all([session.client.containerStats(listed.id), session.client.containerStatus(listed.id)]);
    const logPath = status?.logPath ?? '';
    await removeCliPod(session, listed.container.podSandboxId, logPath.includes('/') ? logPath.slice(0, logPath.lastIndexOf('/')) : '');
    reclaimedBytes += Number(stats?.writableLayer?.usedBytes?.value ?? 0);
    deleted.push(listed.id);
  }
  return { deleted, reclaimedBytes };
}

/** docker's "Deleted <What>:" block; nothing when nothing went. */
export function deletedSection(what: string, lines: readonly string[]): string {
  return lines.length > 0 ? `Deleted ${what}:\n${lines.map((line) => `${line}\n`).join('')}\n` : '';
}

/** container prune: the stopped containers go, with docker's report. */
export async function pruneContainers(session: CriSession, out: LogWriters['stdout']): Promise<void> {
  const { deleted, reclaimedBytes } = await removeStoppedContainers(session);
  out.write(`${deletedSection('Containers', deleted)}Total reclaimed space: ${humanSize(reclaimedBytes)}\n`);
}
