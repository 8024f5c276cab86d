// The merged, interpolated compose file as a ComposeProject: the top-level keys checked (an
// unknown one is an error that names it; `version` is obsolete and ignored, as docker does),
// networks and volumes given their project-scoped names (<project>_<key>, as docker compose
// names them), every service normalized, and the dependencies between services checked for
// unknown services and cycles. Pure, but for env_file reads through `context.readText`.
import { InvalidArgumentError } from '../../common/errors.js';
import type { ComposeNetwork, ComposeProject, ComposeService, ComposeVolume } from './compose-model.js';
import { type DependencyGraph, startOrder } from './dependency-order.js';
import { isMap, keyValueMap } from './merge-files.js';
import { normalizeService, type ServiceContext } from './normalize-service.js';

const topLevelKeys = new Set(['version', 'name', 'services', 'networks', 'volumes']);
const notSupportedTopLevel = new Set(['secrets', 'configs', 'include', 'models']);

export interface ProjectContext extends Omit<ServiceContext, 'declared' | 'networks' | 'projectName'> {
  configFiles: string[];
}

function labelsOf(value: unknown, where: string): Record<string, string> {
  return Object.fromEntries(Object.entries(keyValueMap(value, where)).map(([key, item]) => [key, item ?? '']));
}

function externalName(key: string, entry: Record<string, unknown>): string {
  const external = entry['external'];
  if (isMap(external) && typeof external['name'] === 'string') return external['name'];
  return typeof entry['name'] === 'string' ? entry['name'] : key;
}

function networkOf(key: string, value: unknown, project: string): ComposeNetwork {
  const where = `networks.${key}`;
  const entry = value ?? {};
  if (!isMap(entry)) throw new InvalidArgumentError(`${where} must be a map`);
  for (const field of Object.keys(entry)) {
    if (!['name', 'external', 'driver', 'ipam', 'labels'].includes(field) && !field.startsWith('x-')) throw new InvalidArgumentError(`${where}.${field}: berth compose does not support this key`);
  }
  if (entry['driver'] !== undefined && entry['driver'] !== 'bridge') throw new InvalidArgumentError(`${where}.driver: berth makes bridge networks only`);
  const external = entry['external'] !== undefined && entry['external'] !== false;
  if (external) return { name: externalName(key, entry), external, labels: {} };
  const ipam = isMap(entry['ipam']) ? entry['ipam'] : {};
  const configs = Array.isArray(ipam['config']) ? ipam['config'] : [];
  if (configs.length > 1) throw new InvalidArgumentError(`${where}.ipam.config: berth takes one subnet per network`);
  const config = isMap(configs[0]) ? configs[0] : {};
  return {
    name: typeof entry['name'] === 'string' ? entry['name'] : `${project}_${key}`,
    external,
    ...(typeof config['subnet'] === 'string' ? { subnet: config['subnet'] } : {}),
    ...(typeof config['gateway'] === 'string' ? { gateway: config['gateway'] } : {}),
    labels: labelsOf(entry['labels'], `${where}.labels`),
  };
}

function volumeOf(key: string, value: unknown, project: string): ComposeVolume {
  const where = `volumes.${key}`;
  const entry = value ?? {};
  if (!isMap(entry)) throw new InvalidArgumentError(`${where} must be a map`);
  for (const field of Object.keys(entry)) {
    if (!['name', 'external', 'driver', 'labels'].includes(field) && !field.startsWith('x-')) throw new InvalidArgumentError(`${where}.${field}: berth compose does not support this key`);
  }
  if (entry['driver'] !== undefined && entry['driver'] !== 'local') throw new InvalidArgumentError(`${where}.driver: berth's volumes use the local driver only`);
  const external = entry['external'] !== undefined && entry['external'] !== false;
  if (external) return { name: externalName(key, entry), external, labels: {} };
  return { name: typeof entry['name'] === 'string' ? entry['name'] : `${project}_${key}`, external, labels: labelsOf(entry['labels'], `${where}.labels`) };
}

function section(model: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = model[key] ?? {};
  if (!isMap(value)) throw new InvalidArgumentError(`${key} must be a map`);
  return value;
}

export function normalizeProject(model: Record<string, unknown>, projectName: string, context: ProjectContext): ComposeProject {
  for (const key of Object.keys(model)) {
    if (topLevelKeys.has(key) || key.startsWith('x-')) continue;
    if (notSupportedTopLevel.has(key)) throw new InvalidArgumentError(`${key}: berth compose does not support the top-level ${key} key yet`);
    throw new InvalidArgumentError(`unknown top-level key "${key}" (the compose spec has version, name, services, networks, volumes, configs, secrets)`);
  }
  const services = section(model, 'services');
  if (Object.keys(services).length === 0) throw new InvalidArgumentError('no service is defined: the file needs a services: key with at least one service');
  const networks = Object.fromEntries(Object.entries(section(model, 'networks')).map(([key, value]) => [key, networkOf(key, value, projectName)]));
  // Every project has its default network, used by each service that names none.
  networks['default'] ??= networkOf('default', {}, projectName);
  const volumes = Object.fromEntries(Object.entries(section(model, 'volumes')).map(([key, value]) => [key, volumeOf(key, value, projectName)]));
  const serviceContext: ServiceContext = { ...context, projectName, declared: new Set(Object.keys(volumes)), networks: new Set(Object.keys(networks)) };
  const normalized: Record<string, ComposeService> = {};
  for (const [name, raw] of Object.entries(services)) normalized[name] = normalizeService(name, raw, serviceContext);
  // Checks for unknown services and cycles; the order itself is computed again where it is used.
  startOrder(dependencyGraph(normalized));
  const names = new Map<string, string>();
  for (const service of Object.values(normalized)) {
    const other = names.get(service.containerName);
    if (other) throw new InvalidArgumentError(`services.${service.name}.container_name: ${service.containerName} is also the container of ${other}`);
    names.set(service.containerName, service.name);
  }
  return { name: projectName, workingDir: context.projectDir, configFiles: context.configFiles, services: normalized, networks, volumes };
}

/** depends_on and links, as start-before edges. */
export function dependencyGraph(services: Readonly<Record<string, ComposeService>>): DependencyGraph {
  return Object.fromEntries(Object.values(services).map((service) => [service.name, [...new Set([...Object.keys(service.dependsOn), ...Object.keys(service.links)])]]));
}
