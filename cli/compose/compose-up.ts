// `berth compose up`: the images (built with `berth build` or pulled), the networks and volumes
// the chosen services use, then each service's container in dependency order, its dependencies'
// conditions met first. A container whose service is unchanged (same config hash label) is kept
// (started again if it had stopped); a changed one, or every one with --force-recreate, is made
// again. Without -d the containers' output follows, prefixed, until they stop; Ctrl-C stops them.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { AlreadyExistsError, FailedPreconditionError } from '../../common/errors.js';
import type { CriSession } from '../containers/cri-session.js';
import { startContainers } from '../containers/lifecycle-commands.js';
import { removeCliPod } from '../containers/remove-pod.js';
import { createAndStart, ensureImage } from '../containers/run-command.js';
import { buildService } from './compose-build.js';
import { showProjectLogs } from './compose-logs.js';
import type { ComposeProject, ComposeService } from './compose-model.js';
import { ensureNetworks, ensureVolumes } from './compose-resources.js';
import { withDependencies } from './dependency-order.js';
import { waitForDependency } from './dependency-wait.js';
import { dependencyGraph } from './normalize-project.js';
import { isRunning, projectContainers, type ServiceContainer } from './project-containers.js';
import { composeLabels, configHash, planService } from './service-plan.js';
import { discard, stopProjectContainers } from './compose-lifecycle.js';
import type { LogWriters } from '../containers/log-output.js';

export interface UpOptions {
  services: string[];
  detach: boolean;
  build: boolean;
  noBuild: boolean;
  forceRecreate: boolean;
  removeOrphans: boolean;
  logRoot: string;
}

export type ComposeIo = LogWriters;

/** The service's image in the store: built when it has build: and (--build or the image is missing), else pulled as its pull_policy says. */
export async function provideImage(session: CriSession, service: ComposeService, options: { build: boolean; noBuild: boolean }, io: ComposeIo): Promise<void> {
  if (service.build) {
    const present = Boolean((await session.client.imageStatus(service.image)).image);
    if (options.build || (!present && !options.noBuild)) return buildService(session.endpoint, service, io);
    if (!present) throw new FailedPreconditionError(`service ${service.name}: image ${service.image} is not in the store and --no-build was given`);
    return;
  }
  await ensureImage(session, service.image, service.pullPolicy === 'build' ? 'missing' : service.pullPolicy, io.stderr);
}

/** The container of `service`, kept, started again, or made (again); its id. */
async function upService(session: CriSession, project: ComposeProject, service: ComposeService, existing: readonly ServiceContainer[], options: UpOptions, io: ComposeIo): Promise<string> {
  const progress = (state: string) => io.stderr.write(` Container ${service.containerName}  ${state}\n`);
  const hash = configHash(service, project);
  const current = existing.filter((container) => container.service === service.name);
  const [kept] = current;
  if (kept && current.length === 1 && !options.forceRecreate && kept.container.labels?.[composeLabels.configHash] === hash) {
    if (isRunning(kept)) {
      progress('Running');
      return kept.id;
    }
    // berth's start of an exited container makes it again from its recorded config (the CRI starts a container once).
    await startContainers(session, [kept.id], discard);
    progress('Started');
    return (await session.find(service.containerName)).id;
  }
  for (const old of current) {
    const { status } = await session.client.containerStatus(old.id);
    await removeCliPod(session, old.container.podSandboxId, status?.logPath ? status.logPath.slice(0, status.logPath.lastIndexOf('/')) : '');
  }
  // As docker compose does, a bind mount's missing host directory is made rather than refused.
  for (const volume of service.volumes) if (volume.type === 'bind' && !existsSync(volume.source)) await mkdir(volume.source, { recursive: true });
  const plan = planService(service, project, { logRoot: options.logRoot, uid: randomUUID() });
  const { containerId } = await createAndStart(session, plan, io);
  progress(current.length > 0 ? 'Recreated' : 'Started');
  return containerId;
}

export async function composeUp(session: CriSession, project: ComposeProject, options: UpOptions, io: ComposeIo): Promise<void> {
  const graph = dependencyGraph(project.services);
  const order = withDependencies(graph, options.services.length > 0 ? options.services : Object.keys(project.services));
  const services = order.map((name) => project.services[name]).filter((service): service is ComposeService => service !== undefined);
  for (const service of services) await provideImage(session, service, options, io);

  const all = await session.containers();
  const existing = await projectContainers(session, project.name);
  for (const service of services) {
    const other = all.find((listed) => listed.name === service.containerName && listed.container.labels?.[composeLabels.project] !== project.name);
    if (other) throw new AlreadyExistsError(`the container name "${service.containerName}" is in use by ${other.id.slice(0, 12)}, which is not of project ${project.name}: remove it or rename it`);
  }
  const orphans = existing.filter((container) => !project.services[container.service]);
  if (orphans.length > 0 && options.removeOrphans) await stopProjectContainers(session, orphans, { remove: true, timeoutSeconds: () => 10 }, io);
  else if (orphans.length > 0) {
    io.stderr.write(
      `WARN Found orphan containers (${orphans.map((c) => c.name).join(', ')}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.\n`,
    );
  }

  for (const service of services) {
    if (service.restart !== 'no') {
      io.stderr.write(`WARN service ${service.name}: restart: ${service.restart} is not enforced: berth has no daemon that restarts containers (berth compose start or up starts them again)\n`);
    }
  }
  const progress = (line: string) => io.stderr.write(`${line}\n`);
  await ensureNetworks(session.endpoint, project, services, progress);
  await ensureVolumes(session.endpoint, project, services, progress);
  const started = new Map<string, string>();
  for (const service of services) {
    for (const [name, dependency] of Object.entries(service.dependsOn)) {
      const id = started.get(name);
      const needed = project.services[name];
      if (id && needed) await waitForDependency(session, dependency, needed, id, needed.containerName);
    }
    started.set(service.name, await upService(session, project, service, existing, options, io));
  }
  if (options.detach) return;

  const containers = (await projectContainers(session, project.name)).filter((container) => started.has(container.service));
  io.stdout.write(`Attaching to ${containers.map((container) => container.name).join(', ')}\n`);
  // Ctrl-C stops the project's containers, as docker compose up does; the logs end once they have.
  const stopAll = () => {
    io.stderr.write('Gracefully stopping... (press Ctrl+C again to force)\n');
    void stopProjectContainers(session, containers, { remove: false, timeoutSeconds: () => 10 }, io).catch(() => undefined);
  };
  process.once('SIGINT', stopAll);
  try {
    await showProjectLogs(session, containers, { follow: true, timestamps: false, stopOnInterrupt: false }, io.stdout);
  } finally {
    process.removeListener('SIGINT', stopAll);
  }
}
