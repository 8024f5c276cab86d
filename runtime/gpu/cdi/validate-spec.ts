// Turns a parsed CDI document (untrusted: any vendor may drop a file into /etc/cdi) into a typed
// CdiSpec, or refuses it with the field at fault. Like the reference implementation, unknown
// fields are refused rather than ignored: a field berth does not know is an edit it would
// silently skip.
import { InvalidArgumentError } from '../../../common/errors.js';
import { cdiHookNames, type CdiContainerEdits, type CdiDevice, type CdiDeviceNode, type CdiHook, type CdiMount, type CdiSpec } from './cdi-types.js';
import { deviceNameProblem, kindProblem } from './qualified-name.js';

type Json = Record<string, unknown>;

class SpecProblem extends Error {}

function fail(at: string, reason: string): never {
  throw new SpecProblem(`${at}: ${reason}`);
}

function object(value: unknown, at: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(at, 'must be an object');
  return value as Json;
}

const unsupported: Record<string, string> = {
  intelRdt: 'Intel RDT edits are not supported by berth',
  netDevices: 'network device edits are not supported by berth',
};

function onlyKeys(o: Json, allowed: readonly string[], at: string): void {
  for (const key of Object.keys(o)) {
    if (allowed.includes(key)) continue;
    fail(`${at}.${key}`, unsupported[key] ?? 'unknown field');
  }
}

function string(value: unknown, at: string): string {
  if (typeof value !== 'string') fail(at, 'must be a string');
  return value;
}

function absolutePath(value: unknown, at: string): string {
  const path = string(value, at);
  if (!path.startsWith('/')) fail(at, `"${path}" must be an absolute path`);
  if (path.split('/').includes('..')) fail(at, `"${path}" must not contain ".."`);
  if (path.includes('\0')) fail(at, 'must not contain NUL');
  return path;
}

function strings(value: unknown, at: string): string[] {
  if (!Array.isArray(value)) fail(at, 'must be an array of strings');
  return value.map((v, i) => string(v, `${at}[${i}]`));
}

function natural(value: unknown, at: string, max = 2 ** 32 - 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    fail(at, `must be an integer from 0 to ${max}`);
  }
  return value;
}

function array(value: unknown, at: string): unknown[] {
  if (!Array.isArray(value)) fail(at, 'must be an array');
  return value;
}

function annotations(value: unknown, at: string): Record<string, string> {
  const o = object(value, at);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, string(v, `${at}.${k}`)]));
}

function deviceNode(value: unknown, at: string): CdiDeviceNode {
  const o = object(value, at);
  onlyKeys(o, ['path', 'hostPath', 'type', 'major', 'minor', 'fileMode', 'permissions', 'uid', 'gid'], at);
  const node: CdiDeviceNode = { path: absolutePath(o['path'], `${at}.path`) };
  if (o['hostPath'] !== undefined) node.hostPath = absolutePath(o['hostPath'], `${at}.hostPath`);
  if (o['type'] !== undefined) {
    const type = string(o['type'], `${at}.type`);
    if (!['c', 'b', 'p', 'u'].includes(type)) fail(`${at}.type`, `"${type}" must be c, b, u or p`);
    node.type = type;
  }
  if (o['major'] !== undefined) node.major = natural(o['major'], `${at}.major`);
  if (o['minor'] !== undefined) node.minor = natural(o['minor'], `${at}.minor`);
  if (o['fileMode'] !== undefined) node.fileMode = natural(o['fileMode'], `${at}.fileMode`);
  if (o['uid'] !== undefined) node.uid = natural(o['uid'], `${at}.uid`);
  if (o['gid'] !== undefined) node.gid = natural(o['gid'], `${at}.gid`);
  if (o['permissions'] !== undefined) {
    const permissions = string(o['permissions'], `${at}.permissions`);
    if (!/^(?!.*(.).*\1)[rwm]{0,3}$/.test(permissions)) fail(`${at}.permissions`, `"${permissions}" must use letters of "rwm", each once`);
    node.permissions = permissions;
  }
  return node;
}

function mount(value: unknown, at: string): CdiMount {
  const o = object(value, at);
  onlyKeys(o, ['hostPath', 'containerPath', 'options', 'type'], at);
  const type = o['type'] === undefined ? undefined : string(o['type'], `${at}.type`);
  // A bind mount's source is a host path; other types (tmpfs, ...) name a source freely.
  const hostPath = type === undefined || type === 'bind' ? absolutePath(o['hostPath'], `${at}.hostPath`) : string(o['hostPath'], `${at}.hostPath`);
  const m: CdiMount = { hostPath, containerPath: absolutePath(o['containerPath'], `${at}.containerPath`) };
  if (o['options'] !== undefined) m.options = strings(o['options'], `${at}.options`);
  if (type !== undefined) m.type = type;
  return m;
}

function hook(value: unknown, at: string): CdiHook {
  const o = object(value, at);
  onlyKeys(o, ['hookName', 'path', 'args', 'env', 'timeout'], at);
  const name = string(o['hookName'], `${at}.hookName`);
  const hookName = cdiHookNames.find((n) => n === name);
  if (hookName === undefined) fail(`${at}.hookName`, `"${name}" must be one of ${cdiHookNames.join(', ')}`);
  const h: CdiHook = { hookName, path: absolutePath(o['path'], `${at}.path`) };
  if (o['args'] !== undefined) h.args = strings(o['args'], `${at}.args`);
  if (o['env'] !== undefined) h.env = strings(o['env'], `${at}.env`);
  if (o['timeout'] !== undefined) {
    h.timeout = natural(o['timeout'], `${at}.timeout`);
    if (h.timeout === 0) fail(`${at}.timeout`, 'must be greater than zero');
  }
  return h;
}

function containerEdits(value: unknown, at: string): CdiContainerEdits {
  const o = object(value, at);
  onlyKeys(o, ['env', 'deviceNodes', 'mounts', 'hooks', 'additionalGids'], at);
  const edits: CdiContainerEdits = {};
  if (o['env'] !== undefined) {
    edits.env = strings(o['env'], `${at}.env`);
    edits.env.forEach((e, i) => {
      if (e.indexOf('=') <= 0) fail(`${at}.env[${i}]`, `"${e}" must be NAME=value`);
    });
  }
  if (o['deviceNodes'] !== undefined) edits.deviceNodes = array(o['deviceNodes'], `${at}.deviceNodes`).map((d, i) => deviceNode(d, `${at}.deviceNodes[${i}]`));
  if (o['mounts'] !== undefined) edits.mounts = array(o['mounts'], `${at}.mounts`).map((m, i) => mount(m, `${at}.mounts[${i}]`));
  if (o['hooks'] !== undefined) edits.hooks = array(o['hooks'], `${at}.hooks`).map((h, i) => hook(h, `${at}.hooks[${i}]`));
  if (o['additionalGids'] !== undefined) {
    edits.additionalGids = array(o['additionalGids'], `${at}.additionalGids`).map((g, i) => natural(g, `${at}.additionalGids[${i}]`));
  }
  return edits;
}

function device(value: unknown, at: string): CdiDevice {
  const o = object(value, at);
  onlyKeys(o, ['name', 'annotations', 'containerEdits'], at);
  const name = string(o['name'], `${at}.name`);
  const problem = deviceNameProblem(name);
  if (problem !== undefined) fail(`${at}.name`, problem);
  const d: CdiDevice = { name, containerEdits: containerEdits(o['containerEdits'], `${at}.containerEdits`) };
  if (o['annotations'] !== undefined) d.annotations = annotations(o['annotations'], `${at}.annotations`);
  return d;
}

function checkVersion(value: unknown): string {
  const version = string(value, 'cdiVersion');
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match) fail('cdiVersion', `"${version}" is not a version like 1.0.0`);
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major === 0 && minor < 3) fail('cdiVersion', `"${version}" predates the containerEdits format (0.3.0)`);
  if (major > 1 || (major === 1 && minor > 1)) fail('cdiVersion', `"${version}" is newer than berth understands (up to 1.1.x)`);
  return version;
}

/** A validated spec; `source` (the file) names the document in the error. */
export function validateCdiSpec(document: unknown, source: string): CdiSpec {
  try {
    const o = object(document, 'spec');
    onlyKeys(o, ['cdiVersion', 'kind', 'annotations', 'devices', 'containerEdits'], 'spec');
    const cdiVersion = checkVersion(o['cdiVersion']);
    const kind = string(o['kind'], 'kind');
    const problem = kindProblem(kind);
    if (problem !== undefined) fail('kind', problem);
    const devices = array(o['devices'], 'devices').map((d, i) => device(d, `devices[${i}]`));
    if (devices.length === 0) fail('devices', 'must list at least one device');
    const names = new Set<string>();
    for (const d of devices) {
      if (names.has(d.name)) fail('devices', `device "${d.name}" is defined twice`);
      names.add(d.name);
    }
    const spec: CdiSpec = { cdiVersion, kind, devices };
    if (o['annotations'] !== undefined) spec.annotations = annotations(o['annotations'], 'annotations');
    if (o['containerEdits'] !== undefined) spec.containerEdits = containerEdits(o['containerEdits'], 'containerEdits');
    return spec;
  } catch (error) {
    if (error instanceof SpecProblem) throw new InvalidArgumentError(`CDI spec ${source} is invalid: ${error.message}`);
    throw error;
  }
}
