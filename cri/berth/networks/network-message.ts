// Networks as berth.v1.Networks answers them (api/berth/v1/networks.proto: Network).
import { createHash } from 'node:crypto';
import type { Network } from '../../../api/berth/berth-messages.js';
import type { Runtime } from '../../../runtime/runtime.js';
import { builtinNetworks, type NetworkRecord } from '../../../runtime/networks/network-store.js';

export function networkMessage(runtime: Runtime, record: NetworkRecord): Network {
  return {
    name: record.name,
    id: record.id,
    driver: 'bridge',
    subnet: record.subnet,
    gateway: record.gateway,
    createdAt: record.createdAt,
    labels: record.labels,
    pods: runtime.networkUsers(record.name),
    predefined: false,
  };
}

/** docker's predefined networks; their ids are stable hashes of their names. */
export function predefinedNetworks(): Network[] {
  return builtinNetworks.map(({ name, driver }) => ({ name, id: createHash('sha256').update(`berth network ${name}`).digest('hex'), driver, predefined: true, labels: {}, pods: [] }));
}

/** A network by name, id or id prefix, the predefined ones included. */
export function findNetwork(runtime: Runtime, nameOrId: string): Network {
  const predefined = predefinedNetworks().find((network) => network.name === nameOrId || (nameOrId.length >= 2 && network.id?.startsWith(nameOrId)));
  return predefined ?? networkMessage(runtime, runtime.networks.get(nameOrId));
}
