// The network berth writes when the conf dir holds none, so a fresh node has pod networking
// without a separate CNI install (containerd ships the same idea as 10-containerd-net.conflist).
//
// - bridge: `isGateway` gives the bridge the subnet's first address, so the host reaches pod IPs
//   directly (probes, critest's "pod IP answers HTTP"); `hairpinMode` lets a pod reach itself
//   through its own hostPort/Service address.
// - `ipMasq: true`: pods need egress to addresses that do not route back to the pod subnet (the
//   API server on the node's uplink, other nodes, the internet). The bridge plugin adds a
//   per-sandbox chain (CNI-<hash of id> in nat POSTROUTING: accept within the subnet, masquerade
//   the rest) and removes it on DEL, so the rule set is bounded by the live pods. Turn it off
//   when the pod CIDR is routed by the network itself.
// - host-local IPAM on berth's own subnet with its data dir under berth's state, so leases live
//   and die with berth's state and never collide with another runtime's /var/lib/cni/networks.
// - portmap with the portMappings capability: hostPorts. `snat: true` (also the plugin default)
//   makes the plugin masquerade connections from 127.0.0.1 and set route_localnet on the bridge,
//   which is what lets 127.0.0.1:<hostPort> reach the pod (critest connects there).
// The loopback plugin is not in the list: berth runs it separately on `lo` (see network.ts).
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-file.js';
import { InvalidArgumentError } from '../common/errors.js';
import { configFileNames } from './config.js';
import type { NetworkConfigList } from './types.js';

export interface DefaultNetworkOptions {
  /** IPv4 CIDR for pod addresses; default 10.85.0.0/16. */
  subnet?: string;
  /** Linux bridge name (at most 15 characters); default berth0. */
  bridge?: string;
  /** host-local's lease directory; berth passes a path under its state dir. */
  ipamDataDir: string;
  /** Network name; default "berth". */
  name?: string;
  ipMasq?: boolean;
}

export const defaultConfigFileName = '10-berth.conflist';

export function defaultNetworkConfig(options: DefaultNetworkOptions): NetworkConfigList {
  const subnet = options.subnet ?? '10.85.0.0/16';
  const bridge = options.bridge ?? 'berth0';
  if (
    !/^(\d{1,3}\.){3}\d{1,3}\/([0-9]|[12][0-9]|3[0-2])$/.test(subnet) ||
    subnet
      .split(/[./]/)
      .slice(0, 4)
      .some((o) => Number(o) > 255)
  ) {
    throw new InvalidArgumentError(`pod subnet ${JSON.stringify(subnet)} is not an IPv4 CIDR like 10.85.0.0/16`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(bridge)) {
    throw new InvalidArgumentError(`bridge name ${JSON.stringify(bridge)} must be 1-15 characters of letters, digits, "_", "." or "-"`);
  }
  return {
    cniVersion: '1.0.0',
    name: options.name ?? 'berth',
    plugins: [
      {
        type: 'bridge',
        bridge,
        isGateway: true,
        ipMasq: options.ipMasq ?? true,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: options.ipamDataDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/**
 * Writes the default network into `confDir` unless it already holds a config file. Returns the
 * path written, or undefined when an existing config was left alone.
 */
export async function ensureDefaultNetworkConfig(confDir: string, options: DefaultNetworkOptions): Promise<string | undefined> {
  await mkdir(confDir, { recursive: true, mode: 0o755 });
  if (configFileNames(await readdir(confDir)).length > 0) return undefined;
  const path = join(confDir, defaultConfigFileName);
  await writeFileAtomic(path, `${JSON.stringify(defaultNetworkConfig(options), null, 2)}\n`, 0o644);
  return path;
}
