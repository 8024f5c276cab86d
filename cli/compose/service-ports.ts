// A service's ports:, short syntax ("8080:80", "127.0.0.1:8080:80/udp", "[::1]:81:80",
// "9090-9091:8080-8081") and long ({target, published, host_ip, protocol}), each range expanded
// to one mapping per port. The CNI portmap plugin needs a host port for every mapping and the CRI
// cannot report a port the runtime chose, so a port without a published one is refused. Pure.
import { InvalidArgumentError } from '../../common/errors.js';
import type { PortSpec } from './compose-model.js';
import { isMap } from './merge-files.js';

const protocols = ['tcp', 'udp', 'sctp'] as const;

function portRange(text: string, where: string): number[] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  const first = Number(match?.[1]);
  const last = match?.[2] === undefined ? first : Number(match[2]);
  if (!match || first < 1 || last > 65535 || last < first) throw new InvalidArgumentError(`${where}: "${text}" is not a port (1-65535) or a range of ports (8080-8081)`);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

function protocolOf(text: string, where: string): PortSpec['protocol'] {
  const protocol = text.toLowerCase();
  if (!(protocols as readonly string[]).includes(protocol)) throw new InvalidArgumentError(`${where}: the protocol is tcp, udp or sctp, not "${text}"`);
  return protocol as PortSpec['protocol'];
}

function pairUp(hostIp: string, published: string, target: string, protocol: PortSpec['protocol'], where: string): PortSpec[] {
  const targets = portRange(target, where);
  const hosts = portRange(published, where);
  if (hosts.length !== targets.length) {
    // docker allows one host range onto one container port only in its random-pick form, which the CRI cannot do.
    throw new InvalidArgumentError(`${where}: the host range ${published} and the container range ${target} differ in length`);
  }
  return targets.map((port, i) => ({ hostIp, published: hosts[i] ?? port, target: port, protocol }));
}

function needsHostPort(where: string, text: string): never {
  throw new InvalidArgumentError(
    `${where}: "${text}" publishes no host port: berth publishes through the CNI portmap plugin, which needs one (write HOST:CONTAINER, e.g. "8080:${text.split('/')[0]}")`,
  );
}

function shortSyntax(text: string, where: string): PortSpec[] {
  const [spec = '', protocolText = 'tcp', ...extra] = text.split('/');
  if (extra.length > 0) throw new InvalidArgumentError(`${where}: "${text}" has more than one /protocol`);
  const protocol = protocolOf(protocolText, where);
  // An IPv6 host address is written in brackets, so the colons inside it are not separators.
  const ipv6 = /^\[([0-9a-fA-F:.]+)\]:(.*)$/.exec(spec);
  const parts = ipv6 ? [ipv6[1] ?? '', ...(ipv6[2] ?? '').split(':')] : spec.split(':');
  if (parts.length === 1) needsHostPort(where, text);
  if (parts.length === 2) return pairUp('', parts[0] ?? '', parts[1] ?? '', protocol, where);
  if (parts.length === 3) {
    const [hostIp = '', published = '', target = ''] = parts;
    if (published === '') needsHostPort(where, text);
    return pairUp(hostIp, published, target, protocol, where);
  }
  throw new InvalidArgumentError(`${where}: "${text}" is not [HOST-IP:]HOST-PORT:CONTAINER-PORT[/PROTOCOL]`);
}

function longSyntax(entry: Record<string, unknown>, where: string): PortSpec[] {
  for (const key of Object.keys(entry)) {
    if (!['target', 'published', 'host_ip', 'protocol', 'mode', 'name', 'app_protocol'].includes(key)) throw new InvalidArgumentError(`${where}: unknown key "${key}"`);
  }
  if (entry['mode'] !== undefined && entry['mode'] !== 'host' && entry['mode'] !== 'ingress') throw new InvalidArgumentError(`${where}.mode: host or ingress, not ${String(entry['mode'])}`);
  const target = String(entry['target'] ?? '');
  if (target === '') throw new InvalidArgumentError(`${where}: target (the container port) is required`);
  if (entry['published'] === undefined || entry['published'] === '') needsHostPort(where, target);
  return pairUp(String(entry['host_ip'] ?? ''), String(entry['published']), target, protocolOf(String(entry['protocol'] ?? 'tcp'), where), where);
}

export function parsePorts(value: unknown, where: string): PortSpec[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidArgumentError(`${where} must be a list`);
  return value.flatMap((entry, index) => {
    const at = `${where}[${index}]`;
    if (isMap(entry)) return longSyntax(entry, at);
    if (typeof entry === 'string' || typeof entry === 'number') return shortSyntax(String(entry), at);
    throw new InvalidArgumentError(`${at}: a port is "HOST:CONTAINER" text or a map with target and published`);
  });
}

/** As `berth run -p` writes it, for run-plan's parsePublish. */
export function publishFlag(port: PortSpec): string {
  const hostIp = port.hostIp === '' ? '' : port.hostIp.includes(':') ? `[${port.hostIp}]:` : `${port.hostIp}:`;
  return `${hostIp}${port.published}:${port.target}/${port.protocol}`;
}
