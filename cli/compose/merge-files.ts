// Several -f files make one project, merged in order as docker compose merges them: maps merge
// key by key, a later scalar wins, and for services the compose spec's per-key rules: a
// service's volumes merge by container path, environment / labels / build args / depends_on /
// networks merge by key whether written as lists or maps, command / entrypoint / healthcheck test
// are replaced whole, and other lists (ports, dns, extra_hosts, ...) are joined without repeats.
// Pure: takes the parsed (and interpolated) files.
import { InvalidArgumentError } from '../../common/errors.js';

type Tree = Record<string, unknown>;

export const isMap = (value: unknown): value is Tree => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A "KEY=VALUE" list or a map as a map (`KEY` alone maps to null, meaning "from the shell"). */
export function keyValueMap(value: unknown, where: string): Record<string, string | null> {
  if (value === undefined || value === null) return {};
  if (Array.isArray(value)) {
    const result: Record<string, string | null> = {};
    for (const item of value) {
      if (typeof item !== 'string') throw new InvalidArgumentError(`${where}: each item is "KEY=VALUE" text, not ${JSON.stringify(item)}`);
      const equals = item.indexOf('=');
      result[equals < 0 ? item : item.slice(0, equals)] = equals < 0 ? null : item.slice(equals + 1);
    }
    return result;
  }
  if (!isMap(value)) throw new InvalidArgumentError(`${where} must be a map or a list of "KEY=VALUE"`);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, item === null || item === undefined ? null : String(item)]));
}

/** A list of names or a map keyed by name, as a map (list items map to {}). */
export function namedMap(value: unknown, where: string): Tree {
  if (value === undefined || value === null) return {};
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value.map((item) => {
        if (typeof item !== 'string') throw new InvalidArgumentError(`${where}: each item is a name, not ${JSON.stringify(item)}`);
        return [item, {}];
      }),
    );
  }
  if (!isMap(value)) throw new InvalidArgumentError(`${where} must be a list of names or a map`);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, item ?? {}]));
}

/** The container path of a service volume entry, short or long syntax (what merging keys on). */
function volumeTarget(entry: unknown): string {
  if (isMap(entry)) return String(entry['target'] ?? '');
  const parts = String(entry).split(':');
  return parts.length === 1 ? (parts[0] ?? '') : (parts[1] ?? '');
}

function mergeByTarget(base: unknown[], override: unknown[]): unknown[] {
  const merged = new Map<string, unknown>(base.map((entry) => [volumeTarget(entry), entry]));
  for (const entry of override) merged.set(volumeTarget(entry), entry);
  return [...merged.values()];
}

function joinUnique(base: unknown[], override: unknown[]): unknown[] {
  const seen = new Set(base.map((entry) => JSON.stringify(entry)));
  return [...base, ...override.filter((entry) => !seen.has(JSON.stringify(entry)))];
}

const replacedWhole = new Set(['command', 'entrypoint']);
const mergedAsKeyValues = new Set(['environment', 'labels']);
const mergedAsNames = new Set(['depends_on', 'networks']);

function mergeService(base: Tree, override: Tree, where: string): Tree {
  const result: Tree = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const old = result[key];
    const at = `${where}.${key}`;
    if (old === undefined || replacedWhole.has(key)) result[key] = value;
    else if (mergedAsKeyValues.has(key)) result[key] = { ...keyValueMap(old, at), ...keyValueMap(value, at) };
    else if (mergedAsNames.has(key)) result[key] = mergeTrees(namedMap(old, at), namedMap(value, at), at);
    else if (key === 'volumes' && Array.isArray(old) && Array.isArray(value)) result[key] = mergeByTarget(old, value);
    else if (key === 'build' && isMap(old) && isMap(value)) {
      const args = old['args'] !== undefined || value['args'] !== undefined ? { args: { ...keyValueMap(old['args'], `${at}.args`), ...keyValueMap(value['args'], `${at}.args`) } } : {};
      result[key] = { ...old, ...value, ...args };
    } else if (key === 'healthcheck' && isMap(old) && isMap(value)) result[key] = { ...old, ...value };
    else result[key] = mergeTrees(old, value, at);
  }
  return result;
}

/** `override` over `base`; `where` names the key for errors. */
export function mergeTrees(base: unknown, override: unknown, where: string): unknown {
  if (Array.isArray(base) && Array.isArray(override)) return joinUnique(base, override);
  if (!isMap(base) || !isMap(override)) return override;
  const result: Tree = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const at = where === '' ? key : `${where}.${key}`;
    if (where === 'services' && isMap(result[key]) && isMap(value)) result[key] = mergeService(result[key] as Tree, value, at);
    else result[key] = key in result ? mergeTrees(result[key], value, at) : value;
  }
  return result;
}

/** The files merged in order; each must be a map at its top. */
export function mergeFiles(files: readonly { path: string; content: unknown }[]): Tree {
  let merged: Tree = {};
  for (const file of files) {
    if (file.content === null || file.content === undefined) continue;
    if (!isMap(file.content)) throw new InvalidArgumentError(`${file.path}: the top level must be a map (services:, networks:, volumes:, ...)`);
    merged = mergeTrees(merged, file.content, '') as Tree;
  }
  return merged;
}
