// What `berth stats`, `top` and `port` print, in docker's shapes. Pure: the CRI's samples, ps's
// text and the pod's port mappings come in, lines go out.
import { columns } from './container-table.js';

/** go-units' sizes: `bytes` in the largest unit of `base` below it, to `precision` significant digits. */
export function unitSize(bytes: number, base: number, units: readonly string[], precision: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= base && unit < units.length - 1) {
    value /= base;
    unit += 1;
  }
  return `${Number(value.toPrecision(precision))}${units[unit]}`;
}

/** Docker's (go-units') BytesSize: binary units, 4 significant digits ("1.504MiB"). */
export const bytesSize = (bytes: number): string => unitSize(bytes, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'], 4);

/** One ContainerStats reading: cumulative CPU time and its time, both in nanoseconds. */
export interface CpuSample {
  usageCoreNanos: bigint;
  timestampNanos: bigint;
}

/**
 * CPU % between two readings, as docker computes it: CPU time used over wall time passed, ×100
 * (so a container busy on two cores shows 200%). Undefined without two usable readings.
 */
export function cpuPercent(before: CpuSample | undefined, after: CpuSample | undefined): number | undefined {
  if (!before || !after) return undefined;
  const wall = after.timestampNanos - before.timestampNanos;
  const used = after.usageCoreNanos - before.usageCoreNanos;
  if (wall <= 0n || used < 0n) return undefined;
  return (Number(used) / Number(wall)) * 100;
}

export interface StatsRow {
  id: string;
  name: string;
  cpuPercent?: number;
  memoryBytes?: number;
  /** The container's memory limit, else the host's memory (docker's fallback too). */
  memoryLimitBytes: number;
}

/** Docker's columns; what the CRI does not report (network, block I/O, pids) is `--`. */
export function formatStats(rows: readonly StatsRow[], options: { noTrunc?: boolean } = {}): string {
  const cells = rows.map((row) => [
    options.noTrunc ? row.id : row.id.slice(0, 12),
    row.name,
    row.cpuPercent === undefined ? '--' : `${row.cpuPercent.toFixed(2)}%`,
    row.memoryBytes === undefined ? '-- / --' : `${bytesSize(row.memoryBytes)} / ${bytesSize(row.memoryLimitBytes)}`,
    row.memoryBytes === undefined || row.memoryLimitBytes <= 0 ? '--' : `${((row.memoryBytes / row.memoryLimitBytes) * 100).toFixed(2)}%`,
    '--',
    '--',
    '--',
  ]);
  return columns([['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'], ...cells]);
}

/**
 * ps's output re-aligned as docker top prints it: the header's words are the columns, and the
 * last column (the command) takes the rest of each line, spaces and all.
 */
export function formatPs(psOutput: string): string {
  const lines = psOutput.split('\n').filter((line) => line.trim() !== '');
  const header = lines[0]?.trim().split(/\s+/) ?? [];
  if (header.length === 0) return '';
  const rows = lines.map((line) => {
    const words = line.trim().split(/\s+/);
    return [...words.slice(0, header.length - 1), words.slice(header.length - 1).join(' ')];
  });
  return columns(rows);
}

export interface PublishedPort {
  protocol: string;
  containerPort: number;
  hostPort: number;
  hostIp: string;
}

const protocolNames = ['tcp', 'udp', 'sctp'];

/** A pod config's port mapping as stored (protocol as its enum name or number) in docker's terms. */
export function publishedPort(mapping: { protocol?: unknown; containerPort?: unknown; hostPort?: unknown; hostIp?: unknown }): PublishedPort {
  const protocol = typeof mapping.protocol === 'number' ? (protocolNames[mapping.protocol] ?? 'tcp') : String(mapping.protocol ?? 'tcp').toLowerCase();
  return {
    protocol,
    containerPort: Number(mapping.containerPort ?? 0),
    hostPort: Number(mapping.hostPort ?? 0),
    hostIp: typeof mapping.hostIp === 'string' && mapping.hostIp !== '' ? mapping.hostIp : '0.0.0.0',
  };
}

const hostAddress = (port: PublishedPort) => (port.hostIp.includes(':') ? `[${port.hostIp}]:${port.hostPort}` : `${port.hostIp}:${port.hostPort}`);

/**
 * `docker port` lines: all mappings as `80/tcp -> 0.0.0.0:8080`, or with PRIVATE_PORT[/PROTO]
 * only the host addresses of that port. Undefined when the asked-for port is not published.
 */
export function formatPorts(ports: readonly PublishedPort[], privatePort?: string): string | undefined {
  if (privatePort === undefined) return ports.map((port) => `${port.containerPort}/${port.protocol} -> ${hostAddress(port)}\n`).join('');
  const [number = '', protocol = 'tcp'] = privatePort.split('/');
  const matching = ports.filter((port) => String(port.containerPort) === number && port.protocol === protocol.toLowerCase());
  return matching.length === 0 ? undefined : matching.map((port) => `${hostAddress(port)}\n`).join('');
}
