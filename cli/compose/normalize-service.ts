// One service of the merged, interpolated file as a ComposeService. Each key compose files use
// is either read here, or refused by name: a key of the compose spec that berth does not do
// says so, and a key the spec does not have is called unknown (a typo, most often). Pure, but
// for env_file, read through the `readText` the caller passes.
import { resolve } from 'node:path';
import { InvalidArgumentError } from '../../common/errors.js';
import { type ComposeService, type Dependency, type DependencyCondition, definedFields, type RestartPolicy, type ServiceNetwork } from './compose-model.js';
import { parseDotenv } from './dotenv.js';
import type { Variables } from './interpolate.js';
import { isMap, keyValueMap, namedMap } from './merge-files.js';
import { argvOf, bytesOf, cpusOf, durationMs, gpusOf, healthcheckOf } from './service-fields.js';
import { parsePorts } from './service-ports.js';
import { parseVolumes, type VolumeContext } from './service-volumes.js';

export interface ServiceContext extends VolumeContext {
  projectName: string;
  /** The shell's and .env's variables: `environment: [NAME]` takes its value from here. */
  variables: Variables;
  /** The keys of top-level networks:. */
  networks: ReadonlySet<string>;
  /** A file's text, or undefined when it does not exist. */
  readText: (path: string) => string | undefined;
}

const handled = new Set([
  'image',
  'build',
  'container_name',
  'command',
  'entrypoint',
  'environment',
  'env_file',
  'working_dir',
  'user',
  'hostname',
  'ports',
  'expose',
  'volumes',
  'depends_on',
  'links',
  'networks',
  'network_mode',
  'restart',
  'labels',
  'deploy',
  'cpus',
  'mem_limit',
  'healthcheck',
  'privileged',
  'read_only',
  'pull_policy',
  'tty',
  'stdin_open',
  'stop_grace_period',
]);
// The compose spec's other service keys: refused by name, so a file never runs with part of it silently dropped.
const notSupported = new Set([
  'annotations',
  'attach',
  'blkio_config',
  'cap_add',
  'cap_drop',
  'cgroup',
  'cgroup_parent',
  'configs',
  'cpu_count',
  'cpu_percent',
  'cpu_period',
  'cpu_quota',
  'cpu_rt_period',
  'cpu_rt_runtime',
  'cpu_shares',
  'cpuset',
  'credential_spec',
  'develop',
  'device_cgroup_rules',
  'devices',
  'dns',
  'dns_opt',
  'dns_search',
  'domainname',
  'driver_opts',
  'env_from',
  'extends',
  'external_links',
  'extra_hosts',
  'gpus',
  'group_add',
  'init',
  'ipc',
  'isolation',
  'label_file',
  'logging',
  'mac_address',
  'mem_reservation',
  'mem_swappiness',
  'memswap_limit',
  'models',
  'oom_kill_disable',
  'oom_score_adj',
  'pid',
  'pids_limit',
  'platform',
  'post_start',
  'pre_stop',
  'profiles',
  'provider',
  'runtime',
  'scale',
  'secrets',
  'security_opt',
  'shm_size',
  'stop_signal',
  'storage_opt',
  'sysctls',
  'tmpfs',
  'ulimits',
  'use_api_socket',
  'userns_mode',
  'uts',
  'volumes_from',
]);

function checkKeys(service: Record<string, unknown>, where: string): void {
  for (const key of Object.keys(service)) {
    if (handled.has(key) || key.startsWith('x-')) continue;
    if (notSupported.has(key)) throw new InvalidArgumentError(`${where}.${key}: berth compose does not support this key yet; remove it to go on`);
    throw new InvalidArgumentError(`${where}: unknown key "${key}" (not in the compose spec)`);
  }
}

function text(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  throw new InvalidArgumentError(`${where} must be a string`);
}

function environmentOf(service: Record<string, unknown>, where: string, context: ServiceContext): Record<string, string> {
  const environment: Record<string, string> = {};
  const envFiles = service['env_file'] === undefined ? [] : Array.isArray(service['env_file']) ? service['env_file'] : [service['env_file']];
  envFiles.forEach((entry, index) => {
    const path = resolve(context.projectDir, String(isMap(entry) ? entry['path'] : entry));
    const required = isMap(entry) ? entry['required'] !== false : true;
    const content = context.readText(path);
    if (content === undefined) {
      if (required) throw new InvalidArgumentError(`${where}.env_file[${index}]: ${path} not found`);
      return;
    }
    Object.assign(environment, parseDotenv(content, path, context.variables));
  });
  for (const [key, value] of Object.entries(keyValueMap(service['environment'], `${where}.environment`))) {
    const resolved = value ?? context.variables[key];
    if (resolved !== undefined) environment[key] = resolved;
  }
  return environment;
}

const conditions: DependencyCondition[] = ['service_started', 'service_healthy', 'service_completed_successfully'];

function dependsOnOf(value: unknown, where: string): Record<string, Dependency> {
  const result: Record<string, Dependency> = {};
  for (const [name, entry] of Object.entries(namedMap(value, where))) {
    const condition = (isMap(entry) ? entry['condition'] : undefined) ?? 'service_started';
    if (!conditions.includes(condition as DependencyCondition)) throw new InvalidArgumentError(`${where}.${name}.condition: one of ${conditions.join(', ')}`);
    result[name] = { condition: condition as DependencyCondition, required: !(isMap(entry) && entry['required'] === false) };
  }
  return result;
}

function linksOf(value: unknown, where: string): Record<string, string[]> {
  const links: Record<string, string[]> = {};
  for (const entry of Array.isArray(value) ? value : value === undefined ? [] : [null]) {
    if (typeof entry !== 'string') throw new InvalidArgumentError(`${where} must be a list of "SERVICE" or "SERVICE:ALIAS"`);
    const [service = '', alias] = entry.split(':');
    links[service] = [...(links[service] ?? []), ...(alias ? [alias] : [])];
  }
  return links;
}

function networksOf(service: Record<string, unknown>, where: string, context: ServiceContext): ServiceNetwork[] {
  if (service['networks'] === undefined) return service['network_mode'] === undefined ? [{ name: 'default', aliases: [] }] : [];
  const entries = Object.entries(namedMap(service['networks'], `${where}.networks`));
  if (entries.length > 1) throw new InvalidArgumentError(`${where}.networks: a berth pod joins one network; this service lists ${entries.map(([name]) => name).join(', ')}`);
  return entries.map(([name, entry]) => {
    if (!context.networks.has(name)) throw new InvalidArgumentError(`${where}.networks: the service refers to undefined network ${name}: declare it under the top-level networks: key`);
    const aliases = isMap(entry) && Array.isArray(entry['aliases']) ? entry['aliases'].map(String) : [];
    return { name, aliases };
  });
}

function restartOf(value: unknown, where: string): RestartPolicy {
  const policy = value === undefined || value === false ? 'no' : String(value);
  if (!/^(no|always|unless-stopped|on-failure(:\d+)?)$/.test(policy)) throw new InvalidArgumentError(`${where}: no, always, on-failure[:N] or unless-stopped, not "${policy}"`);
  return policy as RestartPolicy;
}

function deployOf(service: Record<string, unknown>, where: string): Pick<ComposeService, 'cpus' | 'memory' | 'gpus'> {
  const deploy = service['deploy'] ?? {};
  if (!isMap(deploy)) throw new InvalidArgumentError(`${where}.deploy must be a map`);
  for (const key of Object.keys(deploy)) {
    if (key === 'replicas' && Number(deploy[key]) === 1) continue;
    if (key !== 'resources') throw new InvalidArgumentError(`${where}.deploy.${key}: berth compose supports deploy.resources only (one replica per service)`);
  }
  const resources = isMap(deploy['resources']) ? deploy['resources'] : {};
  const limits = isMap(resources['limits']) ? resources['limits'] : {};
  const reservations = isMap(resources['reservations']) ? resources['reservations'] : {};
  for (const key of Object.keys(limits)) if (!['cpus', 'memory'].includes(key)) throw new InvalidArgumentError(`${where}.deploy.resources.limits.${key}: berth limits cpus and memory`);
  for (const key of Object.keys(reservations)) if (key !== 'devices') throw new InvalidArgumentError(`${where}.deploy.resources.reservations.${key}: berth reserves devices (GPUs) only`);
  const cpus = limits['cpus'] ?? service['cpus'];
  const memory = limits['memory'] ?? service['mem_limit'];
  const gpus = gpusOf(reservations['devices'], `${where}.deploy.resources.reservations.devices`);
  return {
    ...(cpus !== undefined ? { cpus: cpusOf(cpus, `${where}.deploy.resources.limits.cpus`) } : {}),
    ...(memory !== undefined ? { memory: bytesOf(memory, `${where}.deploy.resources.limits.memory`) } : {}),
    ...(gpus !== undefined ? { gpus } : {}),
  };
}

function buildOf(value: unknown, where: string, projectDir: string): ComposeService['build'] {
  if (value === undefined || value === null) return undefined;
  const build = typeof value === 'string' ? { context: value } : value;
  if (!isMap(build)) throw new InvalidArgumentError(`${where}.build must be a path or a map with context`);
  for (const key of Object.keys(build)) {
    if (!['context', 'dockerfile', 'args', 'target'].includes(key)) throw new InvalidArgumentError(`${where}.build.${key}: berth compose builds with context, dockerfile, args and target only`);
  }
  const args = Object.fromEntries(Object.entries(keyValueMap(build['args'], `${where}.build.args`)).map(([key, item]) => [key, item ?? '']));
  const target = text(build['target'], `${where}.build.target`);
  const context = resolve(projectDir, text(build['context'], `${where}.build.context`) ?? '.');
  return { context, dockerfile: resolve(context, text(build['dockerfile'], `${where}.build.dockerfile`) ?? 'Dockerfile'), args, ...(target ? { target } : {}) };
}

const flag = (value: unknown, where: string) => {
  if (value !== undefined && typeof value !== 'boolean') throw new InvalidArgumentError(`${where} must be true or false`);
  return value === true;
};

export function normalizeService(name: string, raw: unknown, context: ServiceContext): ComposeService {
  const where = `services.${name}`;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw new InvalidArgumentError(`${where}: a service name uses letters, digits, _, . and -`);
  if (!isMap(raw)) throw new InvalidArgumentError(`${where} must be a map`);
  checkKeys(raw, where);
  const build = buildOf(raw['build'], where, context.projectDir);
  const image = text(raw['image'], `${where}.image`);
  if (!image && !build) throw new InvalidArgumentError(`${where}: the service has neither an image nor a build context`);
  const networkMode = text(raw['network_mode'], `${where}.network_mode`);
  if (networkMode !== undefined && !['host', 'none', 'bridge'].includes(networkMode)) throw new InvalidArgumentError(`${where}.network_mode: host, none or bridge, not "${networkMode}"`);
  if (networkMode !== undefined && raw['networks'] !== undefined) throw new InvalidArgumentError(`${where}: network_mode and networks cannot both be set`);
  const pullPolicy = text(raw['pull_policy'], `${where}.pull_policy`) ?? (build && !image ? 'build' : 'missing');
  if (!['missing', 'always', 'never', 'build', 'if_not_present'].includes(pullPolicy)) throw new InvalidArgumentError(`${where}.pull_policy: always, never, missing or build`);
  const optional = definedFields<ComposeService>({
    command: argvOf(raw['command'], `${where}.command`),
    entrypoint: argvOf(raw['entrypoint'], `${where}.entrypoint`),
    workingDir: text(raw['working_dir'], `${where}.working_dir`),
    user: text(raw['user'], `${where}.user`),
    hostname: text(raw['hostname'], `${where}.hostname`),
    build,
    healthcheck: healthcheckOf(raw['healthcheck'], `${where}.healthcheck`),
    stopTimeoutSeconds: raw['stop_grace_period'] === undefined ? undefined : Math.ceil(durationMs(raw['stop_grace_period'], `${where}.stop_grace_period`) / 1000),
  });
  return {
    name,
    image: image ?? `${context.projectName}-${name}`,
    imageDerived: !image,
    containerName: text(raw['container_name'], `${where}.container_name`) ?? `${context.projectName}-${name}-1`,
    ...optional,
    environment: environmentOf(raw, where, context),
    ports: parsePorts(raw['ports'], `${where}.ports`),
    volumes: parseVolumes(raw['volumes'], `${where}.volumes`, context),
    dependsOn: dependsOnOf(raw['depends_on'], `${where}.depends_on`),
    links: linksOf(raw['links'], `${where}.links`),
    ...(networkMode !== undefined ? { networkMode: networkMode as 'host' | 'none' | 'bridge' } : {}),
    networks: networksOf(raw, where, context),
    restart: restartOf(raw['restart'], `${where}.restart`),
    labels: Object.fromEntries(Object.entries(keyValueMap(raw['labels'], `${where}.labels`)).map(([key, value]) => [key, value ?? ''])),
    ...deployOf(raw, where),
    privileged: flag(raw['privileged'], `${where}.privileged`),
    readOnly: flag(raw['read_only'], `${where}.read_only`),
    pullPolicy: (pullPolicy === 'if_not_present' ? 'missing' : pullPolicy) as ComposeService['pullPolicy'],
  };
}
