// `compose stop`, `start`, `restart` and the stopping and removing `down` and `up
// --remove-orphans` do, on the project's containers through the docker commands' own functions
// (berth stop takes a container's pod down with it, berth start of an exited container makes it
// again from its recorded config). Stops go in reverse dependency order, starts in order.
// Progress lines as docker compose prints them go to stderr.
import { posix } from 'node:path';
import { Writable } from 'node:stream';
import type { CriSession } from '../containers/cri-session.js';
import { stopContainers } from '../containers/container-commands.js';
import { restartContainers, startContainers } from '../containers/lifecycle-commands.js';
import { removeCliPod } from '../containers/remove-pod.js';
import type { LogWriters as ComposeIo } from '../containers/log-output.js';
import { isRunning, type ServiceContainer } from './project-containers.js';

/** Where the docker commands' own output goes: compose prints its own lines. */
export const discard = new Writable({ write: (_chunk, _encoding, done) => done() });

export interface StopOptions {
  remove: boolean;
  /** Seconds before KILL for a container (the service's stop_grace_period, or 10). */
  timeoutSeconds: (container: ServiceContainer) => number;
}

/** Stops `containers` (in the order given) and with `remove` removes them with their pods. */
export async function stopProjectContainers(session: CriSession, containers: readonly ServiceContainer[], options: StopOptions, io: ComposeIo): Promise<void> {
  const progress = (container: ServiceContainer, state: string) => io.stderr.write(` Container ${container.name}  ${state}\n`);
  for (const container of containers) {
    if (isRunning(container)) {
      await stopContainers(session, [container.id], options.timeoutSeconds(container), discard);
      progress(container, 'Stopped');
    }
    if (!options.remove) continue;
    const { status } = await session.client.containerStatus(container.id);
    await removeCliPod(session, container.container.podSandboxId, status?.logPath ? posix.dirname(status.logPath) : '');
    progress(container, 'Removed');
  }
}

export async function startProjectContainers(session: CriSession, containers: readonly ServiceContainer[], io: ComposeIo): Promise<void> {
  for (const container of containers) {
    if (isRunning(container)) continue;
    await startContainers(session, [container.id], discard);
    io.stderr.write(` Container ${container.name}  Started\n`);
  }
}

export async function restartProjectContainers(session: CriSession, containers: readonly ServiceContainer[], timeoutSeconds: StopOptions['timeoutSeconds'], io: ComposeIo): Promise<void> {
  for (const container of containers) {
    await restartContainers(session, [container.id], timeoutSeconds(container), discard);
    io.stderr.write(` Container ${container.name}  Started\n`);
  }
}
