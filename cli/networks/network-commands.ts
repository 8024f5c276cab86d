// docker's network commands on berth: network create, ls, inspect and rm, clients of
// berth.v1.Networks on the runtime's socket. Output as docker prints it.
import type { Network__Output } from '../../api/berth/berth-messages.js';
import { BerthError } from '../../common/errors.js';
import { BerthNetworksClient } from '../../cri/client/berth-networks-client.js';
import { withBerthClient } from '../berth-client.js';
import { formatRows, type TemplateRow } from '../format-template.js';
import { keyValues } from '../volumes/volume-commands.js';

export interface NetworkIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function withNetworks<T>(endpoint: string, body: (client: BerthNetworksClient) => Promise<T>): Promise<T> {
  return withBerthClient(endpoint, "berth.v1.Networks (user networks are berth's own)", new BerthNetworksClient(endpoint), body);
}

/** A network as docker's API shows it (network inspect, and the fields --format may name). */
export function dockerNetwork(network: Network__Output): TemplateRow {
  return {
    Name: network.name,
    ID: network.id,
    Created: network.createdAt,
    Scope: 'local',
    Driver: network.driver,
    IPAM: network.subnet ? { Driver: 'default', Config: [{ Subnet: network.subnet, Gateway: network.gateway }] } : null,
    Labels: network.labels,
    Pods: network.pods,
  };
}

const headers = { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE' };

/** docker network ls [-q] [--no-trunc] [--format]. */
export function networkList(networks: readonly Network__Output[], options: { quiet: boolean; noTrunc: boolean; format?: string }): string {
  const rows = networks.map((network) => ({ ...dockerNetwork(network), ID: options.noTrunc ? network.id : network.id.slice(0, 12) }));
  if (options.quiet) return rows.map((row) => `${row.ID}\n`).join('');
  return formatRows(options.format ?? 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}', rows, headers);
}

export async function createNetwork(client: BerthNetworksClient, name: string, flags: { driver: string; subnet?: string; gateway?: string; label: string[] }, io: NetworkIo): Promise<void> {
  const network = await client.create({ name, driver: flags.driver, subnet: flags.subnet ?? '', gateway: flags.gateway ?? '', labels: keyValues('--label', flags.label) });
  io.stdout.write(`${network.id}\n`);
}

export async function listNetworks(client: BerthNetworksClient, options: { quiet: boolean; noTrunc: boolean; format?: string }, io: NetworkIo): Promise<void> {
  io.stdout.write(networkList((await client.list()).networks, options));
}

/** docker network inspect: the networks found as a JSON array (or through --format); each one missing is an error after them. */
export async function inspectNetworks(client: BerthNetworksClient, names: readonly string[], format: string | undefined, io: NetworkIo): Promise<number> {
  const found: TemplateRow[] = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      found.push(dockerNetwork(await client.inspect(name)));
    } catch (error) {
      if (!(error instanceof BerthError)) throw error;
      errors.push(error.message.replace(/^Inspect: /, ''));
    }
  }
  if (format !== undefined) io.stdout.write(formatRows(format, found, headers));
  else if (found.length > 0 || errors.length === 0) io.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
  for (const error of errors) io.stderr.write(`Error response from daemon: ${error}\n`);
  return errors.length > 0 ? 1 : 0;
}

/** docker network rm: each in turn, the name printed once removed; a failure is reported and the rest still go. */
export async function removeNetworks(client: BerthNetworksClient, names: readonly string[], io: NetworkIo): Promise<number> {
  let exitCode = 0;
  for (const name of names) {
    try {
      await client.remove(name);
      io.stdout.write(`${name}\n`);
    } catch (error) {
      if (!(error instanceof BerthError)) throw error;
      io.stderr.write(`Error response from daemon: ${error.message.replace(/^Remove: /, '')}\n`);
      exitCode = 1;
    }
  }
  return exitCode;
}
