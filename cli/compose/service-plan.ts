// A compose service as the pod and container `berth run` would make for it: the service's keys
// become run's flags (planRun does the mapping every flag already has), then what run has no flag
// for is added: a list entrypoint, the service name and aliases the network resolves, links,
// and docker compose's com.docker.compose.* labels, by which ps, down and the rest find the
// project's containers. Pure.
import { createHash } from 'node:crypto';
import { networkAliasesAnnotation, networkLinksAnnotation } from '../../runtime/networks/network-hosts.js';
import { planRun, type RunFlags, type RunPlan } from '../containers/run-plan.js';
import { type ComposeProject, type ComposeService, definedFields } from './compose-model.js';
import { publishFlag } from './service-ports.js';

export const composeLabels = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  configHash: 'com.docker.compose.config-hash',
  dependsOn: 'com.docker.compose.depends_on',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
} as const;

/** What decides whether `up` keeps a running container or makes it again: the service as resolved. */
export function configHash(service: ComposeService, project: ComposeProject): string {
  const networks = service.networks.map((network) => project.networks[network.name]?.name);
  const volumes = service.volumes.map((volume) => (volume.type === 'volume' ? project.volumes[volume.source]?.name : volume.source));
  return createHash('sha256').update(JSON.stringify({ service, networks, volumes })).digest('hex');
}

/** The labels of the project's containers (and their pods). */
export function serviceLabels(service: ComposeService, project: ComposeProject): Record<string, string> {
  return {
    ...service.labels,
    [composeLabels.project]: project.name,
    [composeLabels.service]: service.name,
    [composeLabels.number]: '1',
    [composeLabels.oneoff]: 'False',
    [composeLabels.workingDir]: project.workingDir,
    [composeLabels.configFiles]: project.configFiles.join(','),
    [composeLabels.configHash]: configHash(service, project),
    [composeLabels.dependsOn]: Object.entries(service.dependsOn)
      .map(([name, dependency]) => `${name}:${dependency.condition}:false`)
      .join(','),
  };
}

function volumeFlag(volume: ComposeService['volumes'][number], project: ComposeProject): string {
  const mode = volume.readOnly ? ':ro' : '';
  if (volume.type === 'bind') return `${volume.source}:${volume.target}${mode}`;
  if (volume.source === '') return volume.target;
  return `${project.volumes[volume.source]?.name ?? volume.source}:${volume.target}${mode}`;
}

function networkFlag(service: ComposeService, project: ComposeProject): string | undefined {
  if (service.networkMode !== undefined) return service.networkMode;
  const [network] = service.networks;
  return network ? project.networks[network.name]?.name : undefined;
}

export function planService(service: ComposeService, project: ComposeProject, context: { logRoot: string; uid: string }): RunPlan {
  const optional = definedFields<RunFlags>({
    workdir: service.workingDir,
    user: service.user,
    hostname: service.hostname,
    network: networkFlag(service, project),
    gpus: service.gpus,
    memory: service.memory,
    cpus: service.cpus,
  });
  const flags: RunFlags = {
    name: service.containerName,
    env: Object.entries(service.environment).map(([key, value]) => `${key}=${value}`),
    volume: service.volumes.map((volume) => volumeFlag(volume, project)),
    label: Object.entries(serviceLabels(service, project)).map(([key, value]) => `${key}=${value}`),
    publish: service.ports.map(publishFlag),
    privileged: service.privileged,
    readOnly: service.readOnly,
    ...optional,
  };
  // The environment is resolved already: planRun must not look anything up again.
  const plan = planRun(service.image, service.command ?? [], flags, { logRoot: context.logRoot, environment: {}, uid: context.uid });
  // docker: an entrypoint given drops the image's command too, unless command: is given.
  if (service.entrypoint) plan.container.command = service.entrypoint;
  const aliases = [service.name, ...service.networks.flatMap((network) => network.aliases)];
  const links = Object.entries(service.links).flatMap(([target, names]) => names.map((alias) => `${target}:${alias}`));
  plan.pod.labels = { ...plan.pod.labels, [composeLabels.project]: project.name, [composeLabels.service]: service.name };
  plan.pod.annotations = {
    ...plan.pod.annotations,
    [networkAliasesAnnotation]: [...new Set(aliases)].join(','),
    ...(links.length > 0 ? { [networkLinksAnnotation]: links.join(',') } : {}),
  };
  return plan;
}
