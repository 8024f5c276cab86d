// docker's user networks: each a CNI bridge network of its own (its own Linux bridge, br-<id>,
// and subnet, host-local IPAM), recorded under <root-dir>/networks/<name>.json. A pod joins one
// through the pod annotation berth.dev/network (berth run --network NAME); the sandbox manager
// then sets its network up with that network's conflist instead of the conf dir's. docker's
// built-in names stay as they are: "bridge" is the conf dir's network, "host" the node's, "none"
// loopback only.
//
// Names follow docker's rule ([a-zA-Z0-9][a-zA-Z0-9_.-]+), so a name is never a path.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../common/atomic-file.js';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { checkDockerName, validVolumeName } from '../../common/volume-name.js';
import type { LoadedNetworkConfig, NetworkConfigList } from '../../cni/types.js';

/** The pod annotation that names a pod's network: a user network, or "none". */
export const networkAnnotation = 'berth.dev/network';

/** docker's predefined networks: never created or removed by hand. */
export const builtinNetworks = [
  { name: 'bridge', driver: 'bridge' },
  { name: 'host', driver: 'host' },
  { name: 'none', driver: 'null' },
] as const;

export interface NetworkRecord {
  version: 1;
  name: string;
  /** 64 hex, as docker's network ids. */
  id: string;
  subnet: string;
  gateway: string;
  /** The Linux bridge: br-<id 12> (15 characters, the kernel's limit). */
  bridge: string;
  createdAt: string;
  labels: Record<string, string>;
}

export interface CreateNetwork {
  name: string;
  driver: string;
  subnet: string;
  gateway: string;
  labels: Record<string, string>;
}

/** An IPv4 CIDR as numbers; refused unless it is a network address with a prefix of 8 to 30. */
export function parseSubnet(text: string): { base: number; prefix: number } {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  const octets = match?.slice(1, 5).map(Number) ?? [];
  const prefix = Number(match?.[5]);
  if (!match || octets.some((octet) => octet > 255) || prefix < 8 || prefix > 30) {
    throw new InvalidArgumentError(`--subnet ${JSON.stringify(text)}: use an IPv4 network as A.B.C.D/PREFIX with a prefix from 8 to 30, e.g. 172.30.0.0/16`);
  }
  const base = octets.reduce((sum, octet) => sum * 256 + octet, 0);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) throw new InvalidArgumentError(`--subnet ${text}: the address has host bits set; the network is ${ipOf(base - (base % size))}/${prefix}`);
  return { base, prefix };
}

const ipOf = (value: number) => [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
const ipValue = (ip: string) => ip.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);

function overlaps(a: { base: number; prefix: number }, b: { base: number; prefix: number }): boolean {
  const aEnd = a.base + 2 ** (32 - a.prefix);
  const bEnd = b.base + 2 ** (32 - b.prefix);
  return a.base < bEnd && b.base < aEnd;
}

/** The subnets the host's interfaces are on: a user network must not take one. */
function hostSubnets(): { base: number; prefix: number; name: string }[] {
  return Object.entries(networkInterfaces()).flatMap(([name, addresses]) =>
    (addresses ?? [])
      .filter((address) => address.family === 'IPv4' && address.cidr)
      .map((address) => {
        const [ip = '', prefix = '32'] = (address.cidr ?? '').split('/');
        const size = 2 ** (32 - Number(prefix));
        return { base: ipValue(ip) - (ipValue(ip) % size), prefix: Number(prefix), name };
      }),
  );
}

export class NetworkStore {
  private readonly networks = new Map<string, NetworkRecord>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    /** host-local's data dir for the user networks' leases. */
    private readonly ipamDir: string,
    private readonly logger: Logger,
  ) {}

  static async open(rootDir: string, stateDir: string, logger: Logger): Promise<NetworkStore> {
    const store = new NetworkStore(join(rootDir, 'networks'), join(stateDir, 'cni/ipam'), logger);
    await mkdir(store.dir, { recursive: true, mode: 0o700 });
    for (const file of await readdir(store.dir)) {
      const name = file.replace(/\.json$/, '');
      if (!file.endsWith('.json') || !validVolumeName.test(name)) continue;
      try {
        const record = JSON.parse(await readFile(join(store.dir, file), 'utf8')) as NetworkRecord;
        if (record.version !== 1 || record.name !== name || !/^[a-f0-9]{64}$/.test(record.id)) throw new Error(`unexpected version ${record.version}, name or id`);
        parseSubnet(record.subnet);
        store.networks.set(name, record);
      } catch (error) {
        logger.error({ network: name, err: error }, 'network record unreadable; left alone');
      }
    }
    return store;
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  list(): NetworkRecord[] {
    return [...this.networks.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** By name, full id or unique id prefix, as docker finds networks. */
  get(nameOrId: string): NetworkRecord {
    const byName = this.networks.get(nameOrId);
    if (byName) return byName;
    const byId = /^[a-f0-9]{1,64}$/.test(nameOrId) ? this.list().filter((record) => record.id.startsWith(nameOrId)) : [];
    if (byId.length === 1 && byId[0]) return byId[0];
    checkDockerName('network', nameOrId);
    throw new NotFoundError(`network ${nameOrId} not found`);
  }

  /**
   * The CNI network a pod's berth.dev/network names: undefined for "bridge" (the conf dir's),
   * loopback only for "none", a user network's own list; NOT_FOUND for an unknown name.
   */
  cniNetwork(name: string): LoadedNetworkConfig | undefined {
    if (name === 'bridge') return undefined;
    if (name === 'none') return { source: 'none', list: { cniVersion: '1.0.0', name: 'berth-none', plugins: [] } };
    if (name === 'host') throw new InvalidArgumentError(`${networkAnnotation} "host": a pod joins the host's network through its namespace options (network NODE), not this annotation`);
    const record = this.get(name);
    return { source: `berth network ${record.name}`, list: this.conflist(record) };
  }

  /** The CNI network list a pod on `record` is set up with. */
  conflist(record: NetworkRecord): NetworkConfigList {
    return {
      cniVersion: '1.0.0',
      name: `berth-${record.name}`,
      plugins: [
        {
          type: 'bridge',
          bridge: record.bridge,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: record.subnet, gateway: record.gateway }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: this.ipamDir },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    };
  }

  async create(request: CreateNetwork): Promise<NetworkRecord> {
    if (builtinNetworks.some((builtin) => builtin.name === request.name)) {
      throw new AlreadyExistsError(`network with name ${request.name} already exists: it is a pre-defined network and cannot be created`);
    }
    checkDockerName('network', request.name);
    if (request.driver !== '' && request.driver !== 'bridge') throw new InvalidArgumentError(`network driver "${request.driver}": berth makes bridge networks only`);
    const asked = request.subnet !== '' ? parseSubnet(request.subnet) : undefined;
    if (request.gateway !== '' && !asked) throw new InvalidArgumentError('--gateway needs --subnet');
    return this.serialized(async () => {
      if (this.networks.has(request.name)) throw new AlreadyExistsError(`network with name ${request.name} already exists`);
      const taken = [...this.list().map((record) => ({ ...parseSubnet(record.subnet), name: `network ${record.name}` })), ...hostSubnets().map((s) => ({ ...s, name: `the host's ${s.name}` }))];
      const subnet = asked ?? this.freeSubnet(taken);
      const clash = taken.find((other) => overlaps(other, subnet));
      if (clash) throw new InvalidArgumentError(`--subnet ${request.subnet}: it overlaps ${clash.name} (${ipOf(clash.base)}/${clash.prefix}); choose another`);
      const size = 2 ** (32 - subnet.prefix);
      const gateway = request.gateway !== '' ? request.gateway : ipOf(subnet.base + 1);
      const gatewayValue = ipValue(gateway);
      if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(gateway) || gatewayValue <= subnet.base || gatewayValue >= subnet.base + size - 1) {
        throw new InvalidArgumentError(`--gateway ${JSON.stringify(gateway)} is not a host address of ${ipOf(subnet.base)}/${subnet.prefix}`);
      }
      const id = createHash('sha256').update(randomBytes(32)).digest('hex');
      const record: NetworkRecord = {
        version: 1,
        name: request.name,
        id,
        subnet: `${ipOf(subnet.base)}/${subnet.prefix}`,
        gateway,
        bridge: `br-${id.slice(0, 12)}`,
        createdAt: new Date().toISOString(),
        labels: { ...request.labels },
      };
      await writeJsonAtomic(join(this.dir, `${record.name}.json`), record);
      this.networks.set(record.name, record);
      this.logger.info({ network: record.name, subnet: record.subnet }, 'network created');
      return record;
    });
  }

  /** docker's default pools for user networks: the first 172.18-31.0.0/16 nothing else uses. */
  private freeSubnet(taken: readonly { base: number; prefix: number }[]): { base: number; prefix: number } {
    for (let second = 18; second <= 31; second++) {
      const candidate = { base: ipValue(`172.${second}.0.0`), prefix: 16 };
      if (!taken.some((other) => overlaps(other, candidate))) return candidate;
    }
    throw new InvalidArgumentError('no free subnet left in 172.18.0.0-172.31.255.255; give one with --subnet');
  }

  /** Removes the record; `inUse` answers the pods on it, `removeBridge` deletes its link. */
  async remove(nameOrId: string, inUse: (name: string) => string[], removeBridge: (bridge: string) => Promise<void>): Promise<NetworkRecord> {
    const record = this.get(nameOrId);
    return this.serialized(async () => {
      const users = inUse(record.name);
      if (users.length > 0) throw new FailedPreconditionError(`error while removing network: network ${record.name} id ${record.id} has active endpoints (${users.join(', ')})`);
      await rm(join(this.dir, `${record.name}.json`), { force: true });
      this.networks.delete(record.name);
      await removeBridge(record.bridge);
      await rm(join(this.ipamDir, `berth-${record.name}`), { recursive: true, force: true });
      this.logger.info({ network: record.name }, 'network removed');
      return record;
    });
  }
}
