// Pod networking through CNI: ADD on set-up, DEL on teardown, a readiness status for the CRI
// Status RPC. Contract:
// - setUpPod runs the loopback plugin on `lo` and the conf dir's chain on `eth0` side by side
//   (two networks that touch different interfaces, as go-cni attaches them), each plugin of the
//   chain getting the previous one's result. A failure of either waits for the other, DELs what
//   was added and rethrows; what was attached is cached per sandbox before the first ADD.
// - tearDownPod is idempotent: it DELs with the cached config and result when there is one (the
//   conf dir may have changed since), else with the current config. A netns that is gone is no
//   reason to skip DEL — IPAM must still release the address — so it runs with an empty
//   CNI_NETNS. Every plugin is DELed even when one fails; all failures are reported together
//   and the cache is kept so a retry can finish the job.
// - Tear the network down before unpinning the netns: the bridge plugin (1.1.1) finds the
//   addresses whose ipMasq rules it must delete inside the netns, so a DEL without netns
//   releases the IP but leaves that sandbox's CNI-<hash> nat chain behind. When the netns is
//   gone all the same (a crash, a lost pin), those rules are deleted by their comment
//   (ipmasq-leftovers.ts) after the DELs.
import { statfs } from 'node:fs/promises';
import { cleanupSignal, type Abortable } from '../common/abort.js';
import { FailedPreconditionError, InternalError, InvalidArgumentError, errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { loadNetworkConfig } from './config.js';
import type { IpMasqLeftovers } from './ipmasq-leftovers.js';
import { type CapabilityArgs, type CniCommand, pluginEnv, pluginStdin } from './invocation.js';
import type { PluginExecutor } from './plugin-exec.js';
import { type AttachmentRecord, AttachmentCache, attachmentRecordVersion } from './result-cache.js';
import { parseCniResult, podAddresses } from './result.js';
import type { CniResult, LoadedNetworkConfig, NetworkConfigList, NetworkStatus, PodNetworkIdentity, PodNetworkRequest, PodNetworkSetUp, PortMapping } from './types.js';

/** containerd's loopback network: 0.3.1 so that old and new plugin builds accept it. */
export const loopbackNetwork: NetworkConfigList = { cniVersion: '0.3.1', name: 'cni-loopback', plugins: [{ type: 'loopback' }] };

const podInterface = 'eth0';
const nsfsMagic = 0x6e736673;

export interface CniNetworkOptions {
  confDir: string;
  /** Where attachment records live (under berth's state dir). */
  cacheDir: string;
  executor: PluginExecutor;
  logger: Logger;
  /** Deletes a bridge's ipMasq rules that a DEL without netns leaves; absent: nothing deletes them. */
  ipMasqLeftovers?: IpMasqLeftovers;
}

export class CniNetwork {
  private readonly cache: AttachmentCache;

  constructor(private readonly options: CniNetworkOptions) {
    this.cache = new AttachmentCache(options.cacheDir, options.logger);
  }

  /** The conf dir's network, re-read each call so a changed config applies to the next pod. */
  async loadConfig(): Promise<LoadedNetworkConfig> {
    const loaded = await loadNetworkConfig(this.options.confDir);
    if (!loaded) {
      throw new FailedPreconditionError(`no CNI network config (*.conflist, *.conf, *.json) in ${this.options.confDir}; add one or let berth write its default`);
    }
    return loaded;
  }

  /**
   * An abort kills the running plugin; what was added is then DELed under a signal of its own.
   * `network` replaces the conf dir's network for this pod (a user network); a list without
   * plugins sets up loopback only (docker's --network none). Teardown uses what was cached.
   */
  async setUpPod(request: PodNetworkRequest, options: Abortable = {}, chosen?: LoadedNetworkConfig): Promise<PodNetworkSetUp> {
    for (const mapping of request.portMappings) validatePortMapping(mapping, request.id);
    const network = chosen ?? (await this.loadConfig());
    const record: AttachmentRecord = { version: attachmentRecordVersion, request, network, loopback: loopbackNetwork };
    await this.cache.save(record);
    const log = this.options.logger.child({ podSandboxId: request.id, network: network.list.name });

    let result: CniResult;
    try {
      // allSettled: the undo below must not DEL while the other ADD is still running. A network of
      // no plugins (`--network none`) is the loopback alone.
      const withChain = network.list.plugins.length > 0;
      const [loopback, chain] = await Promise.allSettled([
        this.add(loopbackNetwork, request, 'lo', {}, options),
        withChain ? this.add(network.list, request, podInterface, { portMappings: request.portMappings }, options) : undefined,
      ]);
      if (loopback.status === 'rejected') throw loopback.reason;
      if (chain.status === 'rejected') throw chain.reason;
      result = chain.value ?? loopback.value;
    } catch (error) {
      const cleanupErrors = await this.delAll(record, request.netnsPath, { signal: cleanupSignal() });
      if (cleanupErrors.length === 0) await this.cache.remove(request.id);
      else log.error({ cleanupErrors }, 'undoing a failed CNI ADD failed too; teardown will retry from the cache');
      throw error;
    }
    await this.cache.save({ ...record, result });
    // Loopback's own addresses are not the pod's.
    const ips = network.list.plugins.length > 0 ? podAddresses(result) : { v4: [], v6: [] };
    log.info({ ips }, 'pod network set up');
    return { ips, interfaces: result.interfaces ?? [], result };
  }

  async tearDownPod(identity: PodNetworkIdentity, options: Abortable = {}): Promise<void> {
    const cached = await this.cache.load(identity.id);
    const record: AttachmentRecord | undefined = cached ?? (await this.fallbackRecord(identity));
    if (!record) return;
    const errors = await this.delAll(record, identity.netnsPath || record.request.netnsPath, options);
    if (errors.length > 0) {
      throw new InternalError(`tearing down the network of sandbox ${identity.id} failed: ${errors.join('; ')}`);
    }
    await this.cache.remove(identity.id);
    this.options.logger.info({ podSandboxId: identity.id, fromCache: cached !== undefined }, 'pod network torn down');
  }

  /** NetworkReady for the CRI Status: a config loads and every plugin it names is installed. */
  async status(): Promise<NetworkStatus> {
    let network: LoadedNetworkConfig;
    try {
      network = await this.loadConfig();
    } catch (error) {
      return { ready: false, reason: 'NetworkPluginNotReady', message: `Network plugin returns error: ${errorMessage(error)}` };
    }
    const types = new Set([...loopbackNetwork.plugins, ...network.list.plugins].map((p) => p.type));
    for (const type of types) {
      try {
        await this.options.executor.find(type);
      } catch (error) {
        return { ready: false, reason: 'NetworkPluginNotReady', message: `Network plugin returns error: ${errorMessage(error)}`, source: network.source };
      }
    }
    return { ready: true, source: network.source };
  }

  /** Without a cache record (lost state, or never cached): DEL with today's config. */
  private async fallbackRecord(identity: PodNetworkIdentity): Promise<AttachmentRecord | undefined> {
    const network = await loadNetworkConfig(this.options.confDir).catch(() => undefined);
    if (!network) {
      this.options.logger.warn({ podSandboxId: identity.id }, 'no cached CNI attachment and no usable CNI config: nothing to DEL');
      return undefined;
    }
    return { version: attachmentRecordVersion, request: { ...identity, portMappings: [] }, network, loopback: loopbackNetwork };
  }

  private async add(list: NetworkConfigList, request: PodNetworkRequest, ifName: string, capabilityArgs: CapabilityArgs, options: Abortable): Promise<CniResult> {
    let prevResult: CniResult | undefined;
    for (const plugin of list.plugins) {
      const stdin = pluginStdin(list, plugin, { ...(prevResult ? { prevResult } : {}), capabilityArgs });
      const stdout = await this.invoke('ADD', list, plugin.type, request, ifName, stdin, options);
      prevResult = parseCniResult(stdout, plugin.type);
    }
    if (!prevResult) throw new InternalError(`CNI network ${list.name} has no plugins`);
    return prevResult;
  }

  /** DELs the chain (reverse order), then loopback; returns every failure instead of stopping. */
  private async delAll(record: AttachmentRecord, netnsPath: string, options: Abortable): Promise<string[]> {
    const netns = (await isNetns(netnsPath)) ? netnsPath : '';
    if (!netns) this.options.logger.info({ podSandboxId: record.request.id, netnsPath }, 'netns is gone; DEL runs without it so IPAM still releases');
    const identity = { ...record.request, netnsPath: netns };
    const errors: string[] = [];
    const list = record.network.list;
    // CNI >= 0.4.0: DEL gets the cached ADD result as prevResult (portmap and bridge read it).
    const prevResult = record.result && !list.cniVersion.startsWith('0.3.') ? record.result : undefined;
    for (const plugin of [...list.plugins].reverse()) {
      const stdin = pluginStdin(list, plugin, { ...(prevResult ? { prevResult } : {}), capabilityArgs: { portMappings: record.request.portMappings } });
      await this.invoke('DEL', list, plugin.type, identity, podInterface, stdin, options).catch((error: unknown) => errors.push(errorMessage(error)));
    }
    for (const plugin of record.loopback.plugins) {
      await this.invoke('DEL', record.loopback, plugin.type, identity, 'lo', pluginStdin(record.loopback, plugin), options).catch((error: unknown) => errors.push(errorMessage(error)));
    }
    const masquerades = list.plugins.some((plugin) => plugin.type === 'bridge' && plugin['ipMasq'] === true);
    if (!netns && masquerades && this.options.ipMasqLeftovers) {
      await this.options.ipMasqLeftovers.remove(list.name, record.request.id, options).catch((error: unknown) => errors.push(errorMessage(error)));
    }
    return errors;
  }

  private async invoke(
    command: CniCommand,
    list: NetworkConfigList,
    pluginType: string,
    identity: PodNetworkIdentity,
    ifName: string,
    stdin: Record<string, unknown>,
    options: Abortable,
  ): Promise<string> {
    this.options.logger.debug({ podSandboxId: identity.id, command, plugin: pluginType, network: list.name, ifName }, 'running CNI plugin');
    const env = pluginEnv({ command, identity, ifName, binDirs: this.options.executor.binDirs });
    return this.options.executor.execute({ pluginType, command, env, stdin }, options);
  }
}

/** A path where a network namespace is still pinned (an unmounted pin file is just a file). */
async function isNetns(path: string): Promise<boolean> {
  if (!path) return false;
  try {
    return (await statfs(path)).type === nsfsMagic;
  } catch {
    return false;
  }
}

function validatePortMapping(mapping: PortMapping, id: string): void {
  const port = (n: number, min: number): boolean => Number.isInteger(n) && n >= min && n <= 65535;
  if (!port(mapping.hostPort, 0) || !port(mapping.containerPort, 1) || !['tcp', 'udp', 'sctp'].includes(mapping.protocol)) {
    throw new InvalidArgumentError(
      `port mapping ${mapping.hostPort}:${mapping.containerPort}/${mapping.protocol} of sandbox ${id} is invalid: ports 0-65535 (container port from 1), protocol tcp, udp or sctp`,
    );
  }
}
