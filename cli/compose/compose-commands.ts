// `compose ps`, `exec`, `pull` and `down`: the project's containers found by their labels, each
// step through the docker commands' own functions. ps prints docker compose's table.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError } from '../../common/errors.js';
import { execInContainer, pullWithProgress } from '../containers/container-commands.js';
import { publishedPort } from '../containers/container-report.js';
import { columns, humanDuration, statusText } from '../containers/container-table.js';
import type { CriSession } from '../containers/cri-session.js';
import { withImages } from '../images/image-commands.js';
import type { ComposeProject } from './compose-model.js';
import { stopProjectContainers } from './compose-lifecycle.js';
import { anonymousVolumesOf, removeProjectNetworks, removeProjectVolumes } from './compose-resources.js';
import type { ComposeIo } from './compose-up.js';
import { startOrder } from './dependency-order.js';
import { dependencyGraph } from './normalize-project.js';
import { removeCliPod } from '../containers/remove-pod.js';
import { composeLabels } from './service-plan.js';
import { containersOf, isRunning, projectContainers, type ServiceContainer } from './project-containers.js';
import { recordedInfo } from '../containers/recorded-info.js';

/** docker's Ellipsis: at most `width` characters, the last one "…" when cut. */
const ellipsis = (text: string, width: number) => (text.length <= width ? text : `${text.slice(0, width - 1)}…`);

/** The command the container runs: its OCI process args when the bundle can be read, else its CRI command and args. */
async function commandOf(session: CriSession, id: string): Promise<string> {
  const { info } = await session.client.containerStatus(id, true);
  const recorded = recordedInfo<{ command?: string[]; args?: string[] }>(info);
  const spec = recorded.bundle
    ? await readFile(join(recorded.bundle, 'config.json'), 'utf8')
        .then((text) => (JSON.parse(text) as { process?: { args?: string[] } }).process?.args)
        .catch(() => undefined)
    : undefined;
  return (spec ?? [...(recorded.config?.command ?? []), ...(recorded.config?.args ?? [])]).join(' ');
}

async function portsOf(session: CriSession, podSandboxId: string): Promise<string> {
  const { info } = await session.client.podSandboxStatus(podSandboxId, true).catch(() => ({ info: undefined }));
  const recorded = recordedInfo<{ portMappings?: Record<string, unknown>[] }>(info);
  return (recorded.config?.portMappings ?? [])
    .map(publishedPort)
    .map((port) => `${port.hostIp.includes(':') ? `[${port.hostIp}]` : port.hostIp}:${port.hostPort}->${port.containerPort}/${port.protocol}`)
    .join(', ');
}

export async function composePs(session: CriSession, project: ComposeProject, options: { all: boolean; quiet: boolean; services: string[] }, out: NodeJS.WritableStream): Promise<void> {
  let containers = (await projectContainers(session, project.name)).filter((container) => options.all || isRunning(container));
  if (options.services.length > 0) containers = containersOf(containers, options.services);
  containers.sort((a, b) => a.name.localeCompare(b.name));
  if (options.quiet) {
    for (const container of containers) out.write(`${container.id}\n`);
    return;
  }
  const now = Date.now();
  const rows = await Promise.all(
    containers.map(async (container) => {
      const { status } = await session.client.containerStatus(container.id);
      const created = Number(BigInt(container.container.createdAt || '0') / 1_000_000n);
      return [
        container.name,
        container.container.image?.image || container.container.imageRef,
        `"${ellipsis(await commandOf(session, container.id), 20)}"`,
        container.service,
        `${humanDuration(now - created)} ago`,
        status ? statusText(status, now) : 'Unknown',
        await portsOf(session, container.container.podSandboxId),
      ];
    }),
  );
  out.write(columns([['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS'], ...rows]));
}

export async function composeExec(session: CriSession, project: ComposeProject, service: string, command: readonly string[], options: { noTty: boolean }, io: ComposeIo): Promise<number> {
  const container = containersOf(await projectContainers(session, project.name), [service]).find(isRunning);
  if (!project.services[service]) throw new FailedPreconditionError(`no such service: ${service}`);
  if (!container) throw new FailedPreconditionError(`service "${service}" is not running`);
  // docker compose exec gives a terminal unless -T; without a terminal here there is none to give.
  const tty = !options.noTty && process.stdin.isTTY === true;
  return execInContainer(session, container.id, command, { timeoutSeconds: 0, interactive: true, tty }, io);
}

export async function composePull(session: CriSession, project: ComposeProject, services: readonly string[], io: ComposeIo): Promise<void> {
  for (const name of services) {
    const service = project.services[name];
    // A service built here has no image in any registry to pull.
    if (!service || service.imageDerived || service.pullPolicy === 'build') continue;
    await pullWithProgress(session, service.image, io.stderr);
  }
}

export interface DownOptions {
  volumes: boolean;
  rmi?: 'local' | 'all';
  removeOrphans: boolean;
}

/** The project's containers (stopped, then removed, dependents first), its networks, and as asked its volumes and images. */
export async function composeDown(session: CriSession, project: ComposeProject, options: DownOptions, io: ComposeIo): Promise<void> {
  const all = await projectContainers(session, project.name);
  const orphans = all.filter((container) => !project.services[container.service]);
  if (orphans.length > 0 && !options.removeOrphans) {
    io.stderr.write(`WARN Found orphan containers (${orphans.map((c) => c.name).join(', ')}) for this project. Run with --remove-orphans to remove them.\n`);
  }
  const order = startOrder(dependencyGraph(project.services)).reverse();
  const containers: ServiceContainer[] = [...(options.removeOrphans ? orphans : []), ...containersOf(all, order)];
  const anonymous = options.volumes
    ? await anonymousVolumesOf(
        session.endpoint,
        containers.map((container) => container.id),
      )
    : [];
  const timeout = (container: ServiceContainer) => project.services[container.service]?.stopTimeoutSeconds ?? 10;
  await stopProjectContainers(session, containers, { remove: true, timeoutSeconds: timeout }, io);
  // A pod whose container never came (an up cut short) goes too.
  const { items: pods } = await session.client.listPodSandbox();
  for (const pod of pods) {
    if (pod.labels?.[composeLabels.project] === project.name && (options.removeOrphans || project.services[pod.labels[composeLabels.service] ?? ''])) await removeCliPod(session, pod.id, '');
  }
  const progress = (line: string) => io.stderr.write(`${line}\n`);
  await removeProjectNetworks(session.endpoint, project, progress);
  if (options.volumes) await removeProjectVolumes(session.endpoint, project, anonymous, progress);
  if (options.rmi) {
    const images = new Set(Object.values(project.services).flatMap((service) => (options.rmi === 'all' || service.imageDerived ? [service.image] : [])));
    await withImages(session.endpoint, async (client) => {
      for (const image of images) {
        if (!(await session.client.imageStatus(image)).image) continue;
        await client.remove(image, false);
        progress(` Image ${image}  Removed`);
      }
    });
  }
}
