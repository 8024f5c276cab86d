// The kubelet-managed /etc/hosts every container of a pod gets (unless it mounts its own), as
// upstream writes it: the loopback and IPv6 names, the pod's address with its hostname (and
// <hostname>.<subdomain>.<namespace>.svc.<domain> when it has a subdomain), then the pod's
// hostAliases; a host-network pod gets the node's own hosts file with the aliases after it.
// Pure: the pod worker writes the text to <root-dir>/pods/<uid>/etc-hosts and mounts it.
import type { V1HostAlias, V1Pod } from '@kubernetes/client-node';

const managedHeader = `# Kubernetes-managed hosts file.
127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
fe00::0\tip6-mcastprefix
fe00::1\tip6-allnodes
fe00::2\tip6-allrouters
`;

function aliasLines(aliases: readonly V1HostAlias[]): string {
  if (aliases.length === 0) return '';
  const lines = aliases.filter((a) => a.ip && (a.hostnames ?? []).length > 0).map((a) => `${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
  return `\n# Entries added by HostAliases.\n${lines.join('\n')}\n`;
}

/** The pod's hostname as its sandbox gets it (at most 63 bytes, no trailing "-" or "."). */
export function podHostname(pod: V1Pod): string {
  return (pod.spec?.hostname ?? pod.metadata?.name ?? '').slice(0, 63).replace(/[-.]+$/, '');
}

export function managedHostsFile(pod: V1Pod, podIps: readonly string[], clusterDomain: string, nodeHostsFile: string): string {
  const aliases = aliasLines(pod.spec?.hostAliases ?? []);
  if (pod.spec?.hostNetwork) return `${nodeHostsFile.replace(/\n*$/, '\n')}${aliases}`;
  const hostname = podHostname(pod);
  const subdomain = pod.spec?.subdomain;
  const names = subdomain ? `${hostname}.${subdomain}.${pod.metadata?.namespace ?? 'default'}.svc.${clusterDomain}\t${hostname}` : hostname;
  const own = podIps.map((ip) => `${ip}\t${names}\n`).join('');
  return `${managedHeader}${own}${aliases}`;
}
