// Name resolution on a user network, as docker's embedded DNS gives it for container names: each
// pod on the network gets, below its own /etc/hosts lines, one line per other ready pod on the
// network (its IP, its CLI name, its hostname). The files are rewritten whenever a pod joins or
// leaves, in place: containers bind-mount the file's inode, so a write-and-rename would leave them
// the old one.
import { writeFile } from 'node:fs/promises';
import { cliNameLabel } from '../../common/cli-name.js';
import { hostsFileContent } from '../sandbox/files.js';
import type { SandboxRecord } from '../sandbox/sandbox-record.js';
import { networkAnnotation } from './network-store.js';

/** The names a pod answers to on its network: the CLI's container name, its pod name, its hostname. */
function namesOf(sandbox: SandboxRecord): string[] {
  const names = [sandbox.config.labels?.[cliNameLabel], sandbox.config.metadata?.name, sandbox.hostname].filter((name): name is string => !!name);
  return [...new Set(names)];
}

/** Pure: the hosts file of `sandbox` among `peers` (the other ready pods of its network). */
export function networkHostsContent(sandbox: SandboxRecord, peers: readonly SandboxRecord[], network: string): string {
  const lines = peers.flatMap((peer) => (peer.ips[0] ? [`${peer.ips[0]}\t${namesOf(peer).join(' ')}`] : []));
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
