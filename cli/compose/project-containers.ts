// The containers of a compose project, found as docker compose finds them: by the
// com.docker.compose.project label on the runtime's containers (so ps, stop and down work from
// any directory with the same project name, and never touch containers of another project).
import { InvalidArgumentError } from '../../common/errors.js';
import type { CriSession, ListedContainer } from '../containers/cri-session.js';
import type { ComposeProject } from './compose-model.js';
import { composeLabels } from './service-plan.js';

export interface ServiceContainer extends ListedContainer {
  service: string;
}

export async function projectContainers(session: CriSession, projectName: string): Promise<ServiceContainer[]> {
  return (await session.containers()).flatMap((listed) =>
    listed.container.labels?.[composeLabels.project] === projectName ? [{ ...listed, service: listed.container.labels[composeLabels.service] ?? '' }] : [],
  );
}

/** The services the command names (each must be in the file), or all of them in the file's order. */
export function selectedServices(project: ComposeProject, names: readonly string[]): string[] {
  for (const name of names) if (!project.services[name]) throw new InvalidArgumentError(`no such service: ${name}`);
  return names.length > 0 ? [...names] : Object.keys(project.services);
}

/** `containers` of `services`, in the order of `services`. */
export function containersOf<T extends ServiceContainer>(containers: readonly T[], services: readonly string[]): T[] {
  return services.flatMap((service) => containers.filter((container) => container.service === service));
}

export const isRunning = (container: ListedContainer) => container.container.state === 'CONTAINER_RUNNING';
