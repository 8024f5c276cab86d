// `berth run`'s flags, docker's names and meanings, turned into the two CRI configs it sends:
// one pod sandbox per container (as `crictl run` does), holding the network namespace and the log
// directory, and the container itself. Pure, so every flag's mapping is unit-tested; the command
// (run-command.ts) only sends what this returns.
import { posix } from 'node:path';
import { InvalidArgumentError } from '../../common/errors.js';
import type { ContainerConfig, KeyValue, Mount, PodSandboxConfig, PortMapping } from '../../api/cri/messages.js';
import { gpusAnnotation, parseGpuRequest } from '../../runtime/gpu/gpus-flag.js';

import { cliNameLabel, validCliName } from '../../common/cli-name.js';
import { checkDockerName, checkVolumeName } from '../../common/volume-name.js';
import { networkAnnotation } from '../../runtime/networks/network-store.js';

export { cliNameLabel };
/** The pods' namespace: keeps them apart from the kubelet's in `crictl pods`. */
export const cliNamespace = 'berth-cli';

export interface RunFlags {
  name?: string;
  env: string[];
  volume: string[];
  label: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  hostname?: string;
  network?: string;
  gpus?: string;
  memory?: string;
  cpus?: string;
  privileged?: boolean;
  readOnly?: boolean;
  interactive?: boolean;
  tty?: boolean;
  publish?: string[];
}

export interface RunPlan {
  name: string;
  pod: PodSandboxConfig;
  /** Its volume mounts have no host path yet: the volumes' mountpoints go there (`volumes`). */
  container: ContainerConfig;
  volumes: VolumeUse[];
}

export interface RunContext {
  /** Where pods' log directories go: <logRoot>/<name>_<uid>. */
  logRoot: string;
  /** The caller's environment, for `-e NAME` without a value. */
  environment: Readonly<Record<string, string | undefined>>;
  /** Unique per pod: the pod's uid and a generated name's suffix. */
  uid: string;
}

// Docker's rule for container names.

/** A name for a container that was given none: the image's last path element and a suffix. */
export function generatedName(image: string, uid: string): string {
  const base =
    image
      .split('@')[0]
      ?.split('/')
      .pop()
      ?.split(':')[0]
      ?.replace(/[^a-zA-Z0-9_.-]/g, '') || 'container';
  return `${base}-${uid.slice(0, 6)}`;
}

function envOf(entries: readonly string[], environment: RunContext['environment']): KeyValue[] {
  const result: KeyValue[] = [];
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    const key = equals < 0 ? entry : entry.slice(0, equals);
    if (key === '') throw new InvalidArgumentError(`-e "${entry}": the variable has no name`);
    // The CRI carries values as bytes: a string there would be read as base64.
    if (equals >= 0) result.push({ key, value: Buffer.from(entry.slice(equals + 1), 'utf8') });
    // Docker passes `-e NAME` through from the caller's environment, and drops it when unset.
    else if (environment[key] !== undefined) result.push({ key, value: Buffer.from(environment[key], 'utf8') });
  }
  return result;
}

/** A docker volume `-v` names: mounted at its mountpoint once the runtime has made (or found) it. */
export interface VolumeUse {
  /** "" for an anonymous volume (`-v /path`). */
  name: string;
  /** Which of the container's mounts gets the volume's mountpoint as its host path. */
  mountIndex: number;
}

/**
 * docker's -v: HOST-PATH:CONTAINER-PATH[:ro|rw] binds a host path; NAME:CONTAINER-PATH[:ro|rw]
 * mounts the named volume (made on first use); CONTAINER-PATH alone an anonymous volume. As in
 * docker, anything not starting with "/" is a volume name, so "./data" or "../etc" is refused as
 * a name rather than read as a path relative to wherever the CLI runs.
 */
function mountOf(spec: string): { mount: Mount; volume?: string } {
  const parts = spec.split(':');
  if (parts.length === 1) {
    if (!spec.startsWith('/')) throw new InvalidArgumentError(`-v "${spec}": an anonymous volume needs an absolute container path`);
    return { mount: { hostPath: '', containerPath: posix.normalize(spec), readonly: false }, volume: '' };
  }
  const [source = '', containerPath = '', mode, ...extra] = parts;
  if (extra.length > 0 || source === '') throw new InvalidArgumentError(`-v "${spec}": use HOST-PATH:CONTAINER-PATH[:ro|rw] or VOLUME-NAME:CONTAINER-PATH[:ro|rw]`);
  if (!source.startsWith('/')) checkVolumeName(source);
  if (!containerPath.startsWith('/')) throw new InvalidArgumentError(`-v "${spec}": the container path must be absolute`);
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') throw new InvalidArgumentError(`-v "${spec}": the mode must be ro or rw, not "${mode}"`);
  const readonly = mode === 'ro';
  if (!source.startsWith('/')) return { mount: { hostPath: '', containerPath: posix.normalize(containerPath), readonly }, volume: source };
  return { mount: { hostPath: posix.normalize(source), containerPath: posix.normalize(containerPath), readonly } };
}

/**
 * Docker's -p: [HOST-IP:]HOST-PORT:CONTAINER-PORT[/tcp|udp|sctp], forwarded by the CNI portmap
 * plugin. A host port is required: the CRI has no way to ask for a free one and report it back.
 */
export function parsePublish(spec: string): PortMapping {
  const match = /^(?:(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(\d+):(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!match) {
    throw new InvalidArgumentError(`-p "${spec}": use [HOST-IP:]HOST-PORT:CONTAINER-PORT[/tcp|udp|sctp], e.g. 8080:80 (a host port is required)`);
  }
  const [, hostIp, hostPort = '', containerPort = '', protocol = 'tcp'] = match;
  for (const [what, port] of [
    ['host', hostPort],
    ['container', containerPort],
  ] as const) {
    const number = Number(port);
    if (number < 1 || number > 65535) throw new InvalidArgumentError(`-p "${spec}": the ${what} port must be 1 to 65535`);
  }
  return {
    protocol: protocol.toUpperCase() as 'TCP' | 'UDP' | 'SCTP',
    containerPort: Number(containerPort),
    hostPort: Number(hostPort),
    ...(hostIp !== undefined ? { hostIp: hostIp.replace(/^\[|\]$/g, '') } : {}),
  };
}

function labelsOf(entries: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    const key = equals < 0 ? entry : entry.slice(0, equals);
    if (key === '' || key === cliNameLabel) throw new InvalidArgumentError(`-l "${entry}": ${key === '' ? 'the label has no key' : `${cliNameLabel} is berth's own`}`);
    labels[key] = equals < 0 ? '' : entry.slice(equals + 1);
  }
  return labels;
}

const memoryUnits: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Docker's -m: a number of bytes with an optional b, k, m or g (either case). */
export function parseMemory(value: string): number {
  const match = /^(\d+(?:\.\d+)?)([bkmg]?)$/i.exec(value.trim());
  const unit = memoryUnits[match?.[2]?.toLowerCase() ?? ''];
  if (!match || unit === undefined) throw new InvalidArgumentError(`--memory "${value}": use a number with an optional unit b, k, m or g, e.g. 512m`);
  const bytes = Math.floor(Number(match[1]) * unit);
  // The kernel's floor for a cgroup's limit; docker refuses below 6 MiB for the same reason.
  if (bytes < 6 * 1024 ** 2) throw new InvalidArgumentError(`--memory "${value}": the minimum is 6m`);
  return bytes;
}

const cpuPeriod = 100_000;

/** Docker's --cpus: a CFS quota of that many CPUs over a 100 ms period. */
export function parseCpus(value: string): { cpuPeriod: number; cpuQuota: number } {
  const cpus = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || !(cpus > 0)) throw new InvalidArgumentError(`--cpus "${value}": use a positive number of CPUs, e.g. 1.5`);
  // The kernel's smallest quota is 1 ms.
  return { cpuPeriod, cpuQuota: Math.max(1000, Math.round(cpus * cpuPeriod)) };
}

/** Docker's -u: a user (name or uid) with an optional group (gid; names need the image's files). */
function userOf(value: string): NonNullable<NonNullable<ContainerConfig['linux']>['securityContext']> {
  const [user = '', group, ...extra] = value.split(':');
  if (user === '' || extra.length > 0) throw new InvalidArgumentError(`--user "${value}": use USER[:GROUP], e.g. 1000:1000 or nobody`);
  const context: NonNullable<NonNullable<ContainerConfig['linux']>['securityContext']> = /^\d+$/.test(user) ? { runAsUser: { value: Number(user) } } : { runAsUsername: user };
  if (group !== undefined) {
    if (!/^\d+$/.test(group)) throw new InvalidArgumentError(`--user "${value}": give the group as a number (the CRI takes no group names)`);
    context.runAsGroup = { value: Number(group) };
  }
  return context;
}

export function planRun(image: string, command: readonly string[], flags: RunFlags, context: RunContext): RunPlan {
  if (image === '') throw new InvalidArgumentError('an image is required: berth run [OPTIONS] IMAGE [COMMAND] [ARG...]');
  const name = flags.name ?? generatedName(image, context.uid);
  if (!validCliName.test(name)) throw new InvalidArgumentError(`--name "${name}": use letters, digits, _, . and - (starting with a letter or digit)`);
  // Any other name is a user network (berth network create), carried to the runtime in the pod's annotation.
  if (flags.network !== undefined && !['host', 'bridge', 'none'].includes(flags.network)) checkDockerName('network', flags.network);
  if (flags.workdir !== undefined && !flags.workdir.startsWith('/')) throw new InvalidArgumentError(`--workdir "${flags.workdir}" must be absolute`);

  const annotations: Record<string, string> = {};
  if (flags.gpus !== undefined) {
    // Checked here for a prompt error; the runtime parses the same syntax again.
    parseGpuRequest(flags.gpus);
    annotations[gpusAnnotation] = flags.gpus;
  }
  const hostNetwork = flags.network === 'host';
  const portMappings = (flags.publish ?? []).map(parsePublish);
  if (flags.network === 'none' && portMappings.length > 0) throw new InvalidArgumentError('-p with --network none: the container has no network to publish from; drop -p');
  if (hostNetwork && portMappings.length > 0) {
    throw new InvalidArgumentError("-p with --network host: the container already uses the host's ports; drop -p");
  }
  const labels = { ...labelsOf(flags.label), [cliNameLabel]: name };
  const resources = {
    ...(flags.memory !== undefined ? { memoryLimitInBytes: parseMemory(flags.memory) } : {}),
    ...(flags.cpus !== undefined ? parseCpus(flags.cpus) : {}),
  };
  const namespaceOptions = { network: hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', ipc: 'POD' } as const;
  const mounts = flags.volume.map(mountOf);
  const volumes = mounts.flatMap(({ volume }, mountIndex) => (volume === undefined ? [] : [{ name: volume, mountIndex }]));

  const pod: PodSandboxConfig = {
    metadata: { name, namespace: cliNamespace, uid: context.uid, attempt: 0 },
    hostname: hostNetwork ? '' : (flags.hostname ?? name),
    logDirectory: posix.join(context.logRoot, `${name}_${context.uid}`),
    labels: { [cliNameLabel]: name },
    ...(portMappings.length > 0 ? { portMappings } : {}),
    ...(flags.network !== undefined && flags.network !== 'host' && flags.network !== 'bridge' ? { annotations: { [networkAnnotation]: flags.network } } : {}),
    linux: { securityContext: { namespaceOptions, privileged: flags.privileged ?? false } },
  };
  // --entrypoint replaces the image's entrypoint and drops its cmd, as in docker.
  const entrypoint = flags.entrypoint !== undefined ? { command: [flags.entrypoint], args: [...command] } : { args: [...command] };
  const container: ContainerConfig = {
    metadata: { name, attempt: 0 },
    image: { image },
    ...entrypoint,
    ...(flags.workdir !== undefined ? { workingDir: flags.workdir } : {}),
    envs: envOf(flags.env, context.environment),
    mounts: mounts.map(({ mount }) => mount),
    labels,
    annotations,
    logPath: `${name}.log`,
    // -i keeps stdin open for the one attach that follows; closing it there ends the input, as docker's.
    stdin: flags.interactive ?? false,
    stdinOnce: flags.interactive ?? false,
    tty: flags.tty ?? false,
    linux: {
      resources,
      securityContext: {
        ...(flags.user !== undefined ? userOf(flags.user) : {}),
        namespaceOptions,
        privileged: flags.privileged ?? false,
        readonlyRootfs: flags.readOnly ?? false,
      },
    },
  };
  return { name, pod, container, volumes };
}
