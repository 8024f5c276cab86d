// `berth network create/ls/inspect/rm`: docker's network commands with docker's flags, clients of
// berth.v1.Networks on the runtime's socket. `berth run --network NAME` puts a container on one.
import type { Command } from 'commander';
import { withEndpoint, type ExitCode } from '../containers/register.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const io = { stdout: process.stdout, stderr: process.stderr };

interface Endpoint {
  runtimeEndpoint: string;
}

const commands = () => import('./network-commands.js');

export function addNetworkCommands(program: Command, result: ExitCode): void {
  const network = program.command('network').description('manage networks (docker network)');

  withEndpoint(network.command('create').argument('<name>'))
    .description('create a network: a CNI bridge network with its own bridge and subnet, whose containers reach each other by name (docker network create)')
    .option('-d, --driver <driver>', 'driver to manage the network (only "bridge")', 'bridge')
    .option('--subnet <cidr>', 'subnet in CIDR format, e.g. 172.30.0.0/16 (default: a free 172.18-31.0.0/16)')
    .option('--gateway <ip>', 'gateway for the subnet (default: its first address)')
    .option('--label <key=value>', 'set metadata on a network (repeatable)', collect, [])
    .action(async (name: string, flags: Endpoint & { driver: string; subnet?: string; gateway?: string; label: string[] }) => {
      const { withNetworks, createNetwork } = await commands();
      await withNetworks(flags.runtimeEndpoint, (client) => createNetwork(client, name, flags, io));
    });

  withEndpoint(network.command('ls').alias('list'))
    .description('list networks (docker network ls)')
    .option('-q, --quiet', 'only display network IDs')
    .option('--no-trunc', 'do not truncate the output')
    .option('--format <template>', 'format output using a Go-template subset: {{.ID}}, {{.Name}}, {{.Driver}}, {{.Scope}}, {{json .}}, "table ..."')
    .action(async (flags: Endpoint & { quiet?: boolean; trunc: boolean; format?: string }) => {
      const { withNetworks, listNetworks } = await commands();
      await withNetworks(flags.runtimeEndpoint, (client) =>
        listNetworks(client, { quiet: flags.quiet ?? false, noTrunc: !flags.trunc, ...(flags.format !== undefined ? { format: flags.format } : {}) }, io),
      );
    });

  withEndpoint(network.command('inspect').argument('<network...>'))
    .description('display detailed information on one or more networks (docker network inspect)')
    .option('-f, --format <template>', 'format output using a Go-template subset ({{.ID}}, {{json .IPAM}}, ...)')
    .action(async (names: string[], flags: Endpoint & { format?: string }) => {
      const { withNetworks, inspectNetworks } = await commands();
      result.exitCode = await withNetworks(flags.runtimeEndpoint, (client) => inspectNetworks(client, names, flags.format, io));
    });

  withEndpoint(network.command('rm').alias('remove').argument('<network...>'))
    .description('remove one or more networks; a network with containers on it cannot be removed (docker network rm)')
    .action(async (names: string[], flags: Endpoint) => {
      const { withNetworks, removeNetworks } = await commands();
      result.exitCode = await withNetworks(flags.runtimeEndpoint, (client) => removeNetworks(client, names, io));
    });
}
