// Loads the pod network the way containerd's CRI plugin (go-cni) does: of the files in the conf
// dir ending in .conflist, .conf or .json, the lexically first one is the network; a .conf/.json
// holding a single plugin is wrapped into a one-plugin list. Like containerd — and unlike
// CRI-O, which skips broken files — a broken first file is an error, not a silent fall back to
// the next one: an admin who drops in 00-mine.conf with a typo should see why, not get a
// different network than the one they meant.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError, errorMessage } from '../common/errors.js';
import type { LoadedNetworkConfig, NetworkConfigList, PluginConfig } from './types.js';

export const configExtensions = ['.conflist', '.conf', '.json'] as const;

/** Result versions berth can read (0.1/0.2 used a different result shape). */
export const supportedCniVersions = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

/** The config file names in `names`, in the order the first one wins. */
export function configFileNames(names: string[]): string[] {
  return names.filter((n) => configExtensions.some((ext) => n.endsWith(ext)) && !n.startsWith('.')).sort();
}

/**
 * The network of `confDir`, or undefined when it holds no config file (the caller may write a
 * default). A missing directory counts as empty.
 */
export async function loadNetworkConfig(confDir: string): Promise<LoadedNetworkConfig | undefined> {
  let names: string[];
  try {
    names = await readdir(confDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FailedPreconditionError(`cannot read CNI conf dir ${confDir}: ${errorMessage(error)}`, { cause: error });
  }
  const first = configFileNames(names)[0];
  if (!first) return undefined;
  const source = join(confDir, first);
  const text = await readFile(source, 'utf8');
  return { source, list: parseNetworkConfig(text, source) };
}

/** Parses and validates one config file's text; `source` names it in errors and decides the kind. */
export function parseNetworkConfig(text: string, source: string): NetworkConfigList {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid(source, `is not valid JSON (${errorMessage(error)})`);
  }
  if (!isRecord(parsed)) throw invalid(source, 'must hold a JSON object');
  if (source.endsWith('.conflist')) return validateList(parsed, source);
  // A conflist saved under .conf is a common mistake: say so rather than "type missing".
  if (parsed.plugins !== undefined && parsed.type === undefined) {
    throw invalid(source, 'holds a plugin list; rename it to .conflist');
  }
  return validateList(wrapSinglePlugin(parsed), source);
}

/** A single-plugin config as a list: name and cniVersion move up, the rest stays the plugin's. */
export function wrapSinglePlugin(config: Record<string, unknown>): Record<string, unknown> {
  const { name, cniVersion, disableCheck, ...plugin } = config;
  const list: Record<string, unknown> = { name, cniVersion, plugins: [plugin] };
  if (disableCheck !== undefined) list.disableCheck = disableCheck;
  return list;
}

function validateList(raw: Record<string, unknown>, source: string): NetworkConfigList {
  const { name, cniVersion, plugins, disableCheck } = raw;
  if (typeof name !== 'string' || name === '') throw invalid(source, 'needs a non-empty "name"');
  // The name becomes a directory under the IPAM data dir and the result cache.
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw invalid(source, `has name ${JSON.stringify(name)}; use letters, digits, "_", "." and "-" only`);
  }
  if (typeof cniVersion !== 'string') throw invalid(source, 'needs a "cniVersion" string');
  if (!(supportedCniVersions as readonly string[]).includes(cniVersion)) {
    throw invalid(source, `has cniVersion ${JSON.stringify(cniVersion)}; berth supports ${supportedCniVersions.join(', ')}`);
  }
  if (!Array.isArray(plugins) || plugins.length === 0) throw invalid(source, 'needs a non-empty "plugins" list');
  if (disableCheck !== undefined && typeof disableCheck !== 'boolean') throw invalid(source, '"disableCheck" must be a boolean');
  const checked = plugins.map((plugin, index) => validatePlugin(plugin, `${source} plugin ${index}`));
  const list: NetworkConfigList = { cniVersion, name, plugins: checked };
  if (disableCheck !== undefined) list.disableCheck = disableCheck;
  return list;
}

function validatePlugin(plugin: unknown, where: string): PluginConfig {
  if (!isRecord(plugin)) throw invalid(where, 'must be a JSON object');
  const { type, capabilities } = plugin;
  if (typeof type !== 'string' || type === '') throw invalid(where, 'needs a non-empty "type" (the plugin binary name)');
  // The type is looked up as a file name in the bin dirs: a path would run any binary on the host.
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(type)) {
    throw invalid(where, `has type ${JSON.stringify(type)}; a plugin type is a bare binary name`);
  }
  if (capabilities !== undefined) {
    if (!isRecord(capabilities) || Object.values(capabilities).some((v) => typeof v !== 'boolean')) {
      throw invalid(where, '"capabilities" must map capability names to booleans');
    }
  }
  return plugin as PluginConfig;
}

function invalid(source: string, problem: string): FailedPreconditionError {
  return new FailedPreconditionError(`CNI config ${source} ${problem}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
