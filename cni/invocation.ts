// What a CNI plugin receives, built as data: the CNI_* environment and the stdin config. Kept
// pure so the protocol rules (CNI_ARGS syntax, prevResult chaining, runtimeConfig from
// capabilities) are unit-tested without running a plugin.
import { InvalidArgumentError } from '../common/errors.js';
import type { CniResult, NetworkConfigList, PluginConfig, PodNetworkIdentity, PortMapping } from './types.js';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'STATUS';

/** Runtime-provided values for capabilities a plugin opts into (CNI conventions). */
export interface CapabilityArgs {
  portMappings?: PortMapping[];
}

/**
 * CNI_ARGS as the kubelet/containerd send it. IgnoreUnknown=1 first, so plugins that do not
 * know the K8S_* keys accept them. Values are validated: the syntax is `K=V;K=V` with no
 * escaping, so a ";" or "=" in a pod name would inject keys.
 */
export function cniArgs(identity: Pick<PodNetworkIdentity, 'id' | 'podName' | 'namespace' | 'uid'>): string {
  const pairs: [string, string][] = [
    ['K8S_POD_NAMESPACE', identity.namespace],
    ['K8S_POD_NAME', identity.podName],
    ['K8S_POD_INFRA_CONTAINER_ID', identity.id],
    ['K8S_POD_UID', identity.uid],
  ];
  for (const [key, value] of pairs) {
    if (/[;=\s\0]/.test(value)) {
      throw new InvalidArgumentError(`${key} ${JSON.stringify(value)} may not contain ";", "=", whitespace or NUL (CNI_ARGS has no escaping)`);
    }
  }
  return ['IgnoreUnknown=1', ...pairs.map(([k, v]) => `${k}=${v}`)].join(';');
}

export function pluginEnv(options: { command: CniCommand; identity?: PodNetworkIdentity; ifName?: string; binDirs: string[] }): Record<string, string> {
  const env: Record<string, string> = { CNI_COMMAND: options.command, CNI_PATH: options.binDirs.join(':') };
  if (options.identity) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(options.identity.id)) {
      throw new InvalidArgumentError(`sandbox id ${JSON.stringify(options.identity.id)} is not a valid CNI container id`);
    }
    env.CNI_CONTAINERID = options.identity.id;
    env.CNI_NETNS = options.identity.netnsPath;
    env.CNI_ARGS = cniArgs(options.identity);
  }
  if (options.ifName !== undefined) env.CNI_IFNAME = options.ifName;
  return env;
}

/**
 * The stdin of one plugin of a list: the plugin's own fields plus the list's name and
 * cniVersion, the previous result in a chain, and runtimeConfig holding only the capabilities
 * the plugin declared (libcni's rule: a plugin sees nothing it did not ask for).
 */
export function pluginStdin(
  list: Pick<NetworkConfigList, 'name' | 'cniVersion'>,
  plugin: PluginConfig,
  options: { prevResult?: CniResult; capabilityArgs?: CapabilityArgs } = {},
): Record<string, unknown> {
  const { runtimeConfig: _ignored, prevResult: _stale, ...own } = plugin;
  const stdin: Record<string, unknown> = { ...own, name: list.name, cniVersion: list.cniVersion };
  if (options.prevResult) stdin.prevResult = options.prevResult;
  const runtimeConfig = runtimeConfigFor(plugin, options.capabilityArgs ?? {});
  if (Object.keys(runtimeConfig).length > 0) stdin.runtimeConfig = runtimeConfig;
  return stdin;
}

export function runtimeConfigFor(plugin: PluginConfig, args: CapabilityArgs): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [capability, value] of Object.entries(args)) {
    if (value === undefined || plugin.capabilities?.[capability] !== true) continue;
    config[capability] = capability === 'portMappings' ? (value as PortMapping[]).filter((m) => m.hostPort > 0) : value;
  }
  return config;
}
