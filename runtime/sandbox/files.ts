// The files berth writes for every sandbox and bind-mounts into its containers: /etc/hosts,
// /etc/resolv.conf, /etc/hostname. Generated here as pure text so the formats are unit-tested;
// files-writer.ts puts them on disk.
import { isIP } from 'node:net';
import type { DNSConfig__Output } from '../../api/cri/messages.js';
import { InvalidArgumentError } from '../../common/errors.js';

/**
 * The kubelet's managed hosts file (pkg/kubelet/kubelet_pods.go managedHostsFileContent), so a
 * pod sees the same /etc/hosts under berth as under any runtime: the localhost and IPv6 lines,
 * then one line per pod IP with the hostname (FQDN first when the hostname has a domain).
 * CRI carries no host aliases: the kubelet adds those through its own mount.
 */
export function hostsFileContent(hostname: string, podIps: string[]): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  const short = hostname.split('.')[0] ?? hostname;
  for (const ip of podIps) {
    if (isIP(ip) === 0) throw new InvalidArgumentError(`pod IP ${JSON.stringify(ip)} is not an IP address`);
    if (hostname) lines.push(hostname === short ? `${ip}\t${hostname}` : `${ip}\t${hostname}\t${short}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * resolv.conf from the CRI DNSConfig (the kubelet already merged cluster DNS and the pod's
 * dnsConfig): search, nameserver lines, options — containerd's layout. An empty DNSConfig
 * means "like the host" (dnsPolicy Default, host network): the host's file is used as is.
 * Every value lands on a line of its own, so whitespace or a newline in one would smuggle in
 * another directive: refused.
 */
export function resolvConfContent(dns: DNSConfig__Output | null | undefined, hostResolvConf: string): string {
  const servers = dns?.servers ?? [];
  const searches = dns?.searches ?? [];
  const options = dns?.options ?? [];
  if (servers.length === 0 && searches.length === 0 && options.length === 0) return hostResolvConf;
  for (const server of servers) {
    if (isIP(server) === 0) throw new InvalidArgumentError(`DNS server ${JSON.stringify(server)} is not an IP address`);
  }
  for (const [what, values] of [
    ['search domain', searches],
    ['DNS option', options],
  ] as const) {
    for (const value of values) {
      if (value === '' || /[\s\0#;]/.test(value)) {
        throw new InvalidArgumentError(`${what} ${JSON.stringify(value)} must be non-empty without whitespace, "#" or ";"`);
      }
    }
  }
  const lines: string[] = [];
  if (searches.length > 0) lines.push(`search ${searches.join(' ')}`);
  for (const server of servers) lines.push(`nameserver ${server}`);
  if (options.length > 0) lines.push(`options ${options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

export function hostnameFileContent(hostname: string): string {
  if (/[\s\0]/.test(hostname)) throw new InvalidArgumentError(`hostname ${JSON.stringify(hostname)} may not contain whitespace`);
  return `${hostname}\n`;
}
