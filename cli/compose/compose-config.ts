// `berth compose config`: the project as resolved (interpolated, merged, normalized, paths made
// absolute), printed as YAML in the shape docker compose config prints: long syntax for ports and
// volumes, maps for environment, depends_on and networks. Pure.
import yaml from 'js-yaml';
import type { ComposeProject, ComposeService } from './compose-model.js';

function serviceShape(service: ComposeService): Record<string, unknown> {
  const shape: Record<string, unknown> = {};
  if (service.build) {
    shape['build'] = {
      context: service.build.context,
      dockerfile: service.build.dockerfile,
      ...(Object.keys(service.build.args).length > 0 ? { args: service.build.args } : {}),
      ...(service.build.target ? { target: service.build.target } : {}),
    };
  }
  if (service.command) shape['command'] = service.command;
  shape['container_name'] = service.containerName;
  if (Object.keys(service.dependsOn).length > 0) shape['depends_on'] = service.dependsOn;
  if (service.cpus || service.memory || service.gpus) {
    const limits = { ...(service.cpus ? { cpus: Number(service.cpus) } : {}), ...(service.memory ? { memory: service.memory } : {}) };
    shape['deploy'] = { resources: { ...(Object.keys(limits).length > 0 ? { limits } : {}), ...(service.gpus ? { reservations: { gpus: service.gpus } } : {}) } };
  }
  if (service.entrypoint) shape['entrypoint'] = service.entrypoint;
  if (Object.keys(service.environment).length > 0) shape['environment'] = service.environment;
  if (service.healthcheck) shape['healthcheck'] = { test: service.healthcheck.test, interval: `${service.healthcheck.intervalMs}ms`, retries: service.healthcheck.retries };
  if (service.hostname) shape['hostname'] = service.hostname;
  shape['image'] = service.image;
  if (Object.keys(service.labels).length > 0) shape['labels'] = service.labels;
  if (Object.keys(service.links).length > 0)
    shape['links'] = Object.entries(service.links).flatMap(([target, aliases]) => (aliases.length > 0 ? aliases.map((alias) => `${target}:${alias}`) : [target]));
  if (service.networkMode) shape['network_mode'] = service.networkMode;
  if (service.networks.length > 0) shape['networks'] = Object.fromEntries(service.networks.map((network) => [network.name, network.aliases.length > 0 ? { aliases: network.aliases } : null]));
  if (service.ports.length > 0) {
    shape['ports'] = service.ports.map((port) => ({
      mode: 'ingress',
      ...(port.hostIp ? { host_ip: port.hostIp } : {}),
      target: port.target,
      published: String(port.published),
      protocol: port.protocol,
    }));
  }
  if (service.privileged) shape['privileged'] = true;
  if (service.readOnly) shape['read_only'] = true;
  if (service.restart !== 'no') shape['restart'] = service.restart;
  if (service.user) shape['user'] = service.user;
  if (service.volumes.length > 0) {
    shape['volumes'] = service.volumes.map((volume) => ({
      type: volume.type,
      ...(volume.source ? { source: volume.source } : {}),
      target: volume.target,
      ...(volume.readOnly ? { read_only: true } : {}),
      ...(volume.type === 'bind' ? { bind: { create_host_path: true } } : {}),
    }));
  }
  if (service.workingDir) shape['working_dir'] = service.workingDir;
  return shape;
}

export function configYaml(project: ComposeProject): string {
  const networks = Object.fromEntries(
    Object.entries(project.networks).map(([key, network]) => [
      key,
      {
        name: network.name,
        ...(network.external ? { external: true } : {}),
        ...(network.subnet ? { ipam: { config: [{ subnet: network.subnet, ...(network.gateway ? { gateway: network.gateway } : {}) }] } } : {}),
      },
    ]),
  );
  const volumes = Object.fromEntries(Object.entries(project.volumes).map(([key, volume]) => [key, { name: volume.name, ...(volume.external ? { external: true } : {}) }]));
  const model = {
    name: project.name,
    services: Object.fromEntries(Object.entries(project.services).map(([name, service]) => [name, serviceShape(service)])),
    networks,
    ...(Object.keys(volumes).length > 0 ? { volumes } : {}),
  };
  return yaml.dump(model, { lineWidth: -1, noRefs: true });
}
