// `berth info`: docker info's Server section, from the runtime's CRI answers (Version, Status
// verbose, RuntimeConfig, the container and image lists) and this machine's facts. Works against
// containerd too: what only berth's verbose status carries is then left out.
import { packageVersion } from '../../common/package-version.js';
import type { CriSession } from '../containers/cri-session.js';
import { bytesSize } from '../containers/container-report.js';
import { formatRows, type TemplateRow } from '../format-template.js';
import { hostFacts, type HostFacts } from './host-facts.js';

/** berth's verbose Status carries its RuntimeConfig as JSON under "config". */
interface RuntimeConfigView {
  rootDir?: string;
  ociRuntime?: string | undefined;
  insecureRegistries?: string[];
  registryMirrors?: Record<string, string>;
}

function runtimeConfigOf(info: Record<string, string>): RuntimeConfigView {
  try {
    const parsed = JSON.parse(info['config'] ?? '{}') as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as RuntimeConfigView) : {};
  } catch {
    return {};
  }
}

export interface InfoInputs {
  states: readonly string[];
  images: number;
  runtimeName: string;
  runtimeVersion: string;
  cgroupDriver: string;
  config: RuntimeConfigView;
  ready: { type: string; status: boolean; reason: string; message: string }[];
  host: HostFacts;
}

/** docker info's fields (the names of `docker info --format '{{json .}}'`). Pure. */
export function infoRow(inputs: InfoInputs): TemplateRow {
  const count = (state: string) => inputs.states.filter((s) => s === state).length;
  const running = count('CONTAINER_RUNNING');
  const defaultRuntime = inputs.config.ociRuntime ?? '';
  return {
    Containers: inputs.states.length,
    ContainersRunning: running,
    ContainersPaused: 0,
    ContainersStopped: inputs.states.length - running,
    Images: inputs.images,
    Driver: 'overlayfs',
    ServerVersion: inputs.runtimeVersion,
    RuntimeName: inputs.runtimeName,
    CgroupDriver: inputs.cgroupDriver,
    CgroupVersion: inputs.host.cgroupVersion,
    DefaultRuntime: defaultRuntime,
    Runtimes: defaultRuntime ? { [defaultRuntime]: { path: defaultRuntime } } : {},
    KernelVersion: inputs.host.kernelVersion,
    OperatingSystem: inputs.host.operatingSystem,
    OSType: inputs.host.osType,
    Architecture: inputs.host.architecture,
    NCPU: inputs.host.cpus,
    MemTotal: inputs.host.memTotalBytes,
    Name: inputs.host.name,
    DockerRootDir: inputs.config.rootDir ?? '',
    InsecureRegistries: inputs.config.insecureRegistries ?? [],
    RegistryMirrors: Object.entries(inputs.config.registryMirrors ?? {}).map(([host, url]) => `${host}=${url}`),
    Conditions: inputs.ready.map((c) => ({ Type: c.type, Status: c.status, Reason: c.reason, Message: c.message })),
    ClientVersion: packageVersion(),
  };
}

/** docker info's plain text: the Client and Server sections, then the runtime's conditions. */
export function formatInfo(row: TemplateRow): string {
  const line = (label: string, value: unknown, indent = ' ') => `${indent}${label}: ${String(value)}\n`;
  const list = (label: string, values: readonly string[]) => (values.length > 0 ? ` ${label}:\n${values.map((v) => `  ${v}\n`).join('')}` : '');
  const conditions = (row['Conditions'] as { Type: string; Status: boolean; Reason: string; Message: string }[]).filter((c) => !c.Status);
  return [
    'Client:\n',
    line('Version', row['ClientVersion']),
    line('Context', 'default'),
    '\nServer:\n',
    line('Containers', row['Containers']),
    line('Running', row['ContainersRunning'], '  '),
    line('Paused', row['ContainersPaused'], '  '),
    line('Stopped', row['ContainersStopped'], '  '),
    line('Images', row['Images']),
    line('Server Version', `${row['RuntimeName']} ${row['ServerVersion']}`),
    line('Storage Driver', row['Driver']),
    line('Cgroup Driver', row['CgroupDriver']),
    line('Cgroup Version', row['CgroupVersion']),
    row['DefaultRuntime'] ? line('Runtimes', row['DefaultRuntime']) : '',
    row['DefaultRuntime'] ? line('Default Runtime', row['DefaultRuntime']) : '',
    line('Kernel Version', row['KernelVersion']),
    line('Operating System', row['OperatingSystem']),
    line('OSType', row['OSType']),
    line('Architecture', row['Architecture']),
    line('CPUs', row['NCPU']),
    line('Total Memory', bytesSize(Number(row['MemTotal']))),
    line('Name', row['Name']),
    row['DockerRootDir'] ? line('Root Dir', row['DockerRootDir']) : '',
    list('Insecure Registries', row['InsecureRegistries'] as string[]),
    list('Registry Mirrors', row['RegistryMirrors'] as string[]),
    ...conditions.map((c) => `\nWARNING: ${c.Type} is false: ${c.Reason}${c.Message ? ` (${c.Message})` : ''}\n`),
  ].join('');
}

export async function showInfo(session: CriSession, format: string | undefined, out: NodeJS.WritableStream): Promise<void> {
  const [{ containers }, { images }, version, status, runtimeConfig] = await Promise.all([
    session.client.listContainers(),
    session.client.listImages(),
    session.client.version(),
    session.client.status(true),
    // Runtimes older than CRI 1.28 lack RuntimeConfig; the kubelet then assumes cgroupfs too.
    session.client.runtimeConfig().catch(() => undefined),
  ]);
  const config = runtimeConfigOf(status.info);
  const row = infoRow({
    states: containers.map((c) => c.state),
    images: images.length,
    runtimeName: version.runtimeName,
    runtimeVersion: version.runtimeVersion,
    cgroupDriver: (runtimeConfig?.linux?.cgroupDriver ?? 'CGROUPFS').toLowerCase(),
    // berth's verbose Status names the OCI runtime in use, also where the config left it to choose.
    config: { ...config, ociRuntime: status.info['ociRuntime'] || config.ociRuntime },
    ready: (status.status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })),
    host: hostFacts(),
  });
  out.write(format === undefined ? formatInfo(row) : formatRows(format, [row], {}));
}
