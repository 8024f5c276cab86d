// Name resolution on a user network, as docker's embedded DNS gives it for container names: each
// pod on the network gets, below its own /etc/hosts lines, one line per other ready pod on the
// network (its IP, its CLI name, its hostname). The files are rewritten whenever a pod joins or
// leaves, in place: containers bind-mount the file's inode, so a write-and-rename would leave them
// the old one. A pod may carry more names (compose's service name and network aliases) in
// networkAliasesAnnotation, and names of its own for some peers (compose's links: SERVICE:ALIAS)
// in networkLinksAnnotation: those show in its own file only, as docker's links do.
import { writeFile } from 'node:fs/promises';
import { cliNameLabel } from '../../common/cli-name.js';
import { hostsFileContent } from '../sandbox/files.js';
import type { SandboxRecord } from '../sandbox/sandbox-record.js';
import { networkAnnotation } from './network-store.js';

/** More names the pod answers to on its network, comma-separated (compose: the service name and its aliases). */
export const networkAliasesAnnotation = 'berth.dev/network-aliases';
/** Names this pod alone knows some peers by: "PEER-NAME:ALIAS,..." (compose's links). */
export const networkLinksAnnotation = 'berth.dev/network-links';

const listOf = (text: string | undefined) => (text ?? '').split(',').filter((item) => item !== '');

/** The names a pod answers to on its network: the CLI's container name, its pod name, its hostname, its aliases. */
function namesOf(sandbox: SandboxRecord): string[] {
  const names = [sandbox.config.labels?.[cliNameLabel], sandbox.config.metadata?.name, sandbox.hostname, ...listOf(sandbox.config.annotations?.[networkAliasesAnnotation])];
  return [...new Set(names.filter((name): name is string => !!name))];
}

/** The names `sandbox`'s links give `peer`, after the peer's own. */
function linkedNamesOf(sandbox: SandboxRecord, peer: SandboxRecord): string[] {
  const own = namesOf(peer);
  const links = listOf(sandbox.config.annotations?.[networkLinksAnnotation]).map((link) => link.split(':'));
  return [...new Set([...own, ...links.flatMap(([target = '', alias = '']) => (alias !== '' && own.includes(target) ? [alias] : []))])];
}

/** Pure: the hosts file of `sandbox` among `peers` (the other ready pods of its network). */
export function networkHostsContent(sandbox: SandboxRecord, peers: readonly SandboxRecord[], network: string): string {
  const lines = peers.flatMap((peer) => (peer.ips[0] ? [`${peer.ips[0]}\t${linkedNamesOf(sandbox, peer).join(' ')}`] : []));
  return `${hostsFileContent(sandbox.hostname, sandbox.ips)}# berth network ${network}\n${lines.map((line) => `${line}\n`).join('')}`;
}

/** Rewrites the hosts file of every ready pod on `network`. */
export async function refreshNetworkHosts(sandboxes: readonly SandboxRecord[], network: string): Promise<void> {
  const members = sandboxes.filter((sandbox) => sandbox.state === 'ready' && sandbox.config.annotations?.[networkAnnotation] === network);
  await Promise.all(
    members.map(async (sandbox) => {
      if (!sandbox.files?.hostsPath) return;
      await writeFile(
        sandbox.files.hostsPath,
        networkHostsContent(
          sandbox,
          members.filter((peer) => peer.id !== sandbox.id),
          network,
        ),
        { mode: 0o644 },
      );
    }),
  );
}
