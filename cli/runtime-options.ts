// Turns the parsed runtime flags into the one validated RuntimeConfig.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { InvalidArgumentError, errorMessage } from '../common/errors.js';
import { parseCgroupDriver, type CgroupDriver } from '../common/systemd/slice-names.js';
import type { LogLevel } from '../common/logger.js';
import type { DeviceConfig, OciRuntimeName, RuntimeConfig } from '../runtime/config.js';
import { defaultCdiSpecDirs } from '../runtime/gpu/cdi/cdi-types.js';
import { parseQuantity } from '../kubelet/resources.js';

export interface RuntimeFlags {
  socket: string;
  rootDir: string;
  stateDir: string;
  runtime?: OciRuntimeName;
  insecureRegistry: string[];
  registryMirror: string[];
  cniConfDir: string;
  cniBinDir: string;
  streamAddress: string;
  streamPort: number;
  metricsAddress: string;
  gpuDriverRoot: string;
  gpuDeviceRoot: string;
  cdiSpecDir: string[];
  /** Default 32Gi. */
  maxLayerSize?: string;
  /** Default 0: no limit. */
  pidsLimit?: string;
  /** cgroupfs or systemd; absent: the runtime config file's, else cgroupfs. */
  cgroupDriver?: string | undefined;
  /** The runtime's config file (JSON); the default path is read only when it exists. */
  runtimeConfig?: string;
  logLevel: LogLevel;
}

/** Where `berth runtime` looks for its config file when --runtime-config names none. */
export const defaultRuntimeConfigFile = '/etc/berth/runtime.json';

/** What the runtime config file may set (flags given on the command line win). */
export interface RuntimeConfigFile {
  cgroupDriver?: CgroupDriver;
}

/** Pure: the runtime config file's settings, or INVALID_ARGUMENT naming the file and the key. */
export function parseRuntimeConfigFile(text: string, where: string): RuntimeConfigFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`${where}: not JSON (${errorMessage(error)}); write e.g. {"cgroupDriver": "systemd"}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidArgumentError(`${where}: expected a JSON object like {"cgroupDriver": "systemd"}`);
  const out: RuntimeConfigFile = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key !== 'cgroupDriver') throw new InvalidArgumentError(`${where}: unknown setting ${JSON.stringify(key)}; the file takes cgroupDriver`);
    out.cgroupDriver = parseCgroupDriver(String(value), `${where}: cgroupDriver`);
  }
  return out;
}

/** The config file named by --runtime-config (which must exist), else the default one where it exists. */
function readRuntimeConfigFile(named: string | undefined): RuntimeConfigFile {
  const path = named ?? defaultRuntimeConfigFile;
  let text: string;
  try {
    // Read once, at start, before anything serves.
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (named === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new InvalidArgumentError(`--runtime-config ${path}: ${errorMessage(error)}`);
  }
  return parseRuntimeConfigFile(text, path);
}

const hostPattern = /^[a-zA-Z0-9.-]+(:\d{1,5})?$/;

function deviceConfig(flags: RuntimeFlags, absolute: (flag: string, path: string) => string): DeviceConfig {
  const specDirs = (flags.cdiSpecDir.length > 0 ? flags.cdiSpecDir : [...defaultCdiSpecDirs]).map((dir) => absolute('--cdi-spec-dir', dir));
  return {
    gpuDriverRoot: absolute('--gpu-driver-root', flags.gpuDriverRoot),
    gpuDeviceRoot: absolute('--gpu-device-root', flags.gpuDeviceRoot),
    cdiSpecDirs: specDirs,
    // The last directory has the highest priority: berth's generated spec goes there.
    cdiOutputDir: specDirs[specDirs.length - 1] ?? '/var/run/cdi',
  };
}

/** --max-layer-size (a quantity such as 32Gi) in bytes; 32 GiB when not given. */
export function parseMaxLayerSize(text = '32Gi'): number {
  const bytes = parseQuantity(text);
  if (bytes === undefined || !Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new InvalidArgumentError(`--max-layer-size ${text}: expected a positive size in bytes, e.g. 32Gi or 500Mi`);
  }
  return bytes;
}

/** --pids-limit: each container's pids.max; undefined (no limit) for 0 or -1. */
export function parsePidsLimit(text = '0'): number | undefined {
  const limit = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(limit) || limit < -1) throw new InvalidArgumentError(`--pids-limit ${text}: expected a whole number of processes, or 0 for no limit`);
  return limit > 0 ? limit : undefined;
}

export function runtimeConfigFromFlags(flags: RuntimeFlags): RuntimeConfig {
  for (const host of flags.insecureRegistry) {
    if (!hostPattern.test(host)) throw new InvalidArgumentError(`--insecure-registry ${host}: expected HOST or HOST:PORT`);
  }
  const registryMirrors: Record<string, string> = {};
  for (const mirror of flags.registryMirror) {
    const [host, url] = mirror.split('=', 2);
    if (!host || !url || !hostPattern.test(host) || !/^https?:\/\/[^\s/]+/.test(url)) {
      throw new InvalidArgumentError(`--registry-mirror ${mirror}: expected HOST=URL, e.g. registry.k8s.io=http://127.0.0.1:5000`);
    }
    registryMirrors[host] = url.replace(/\/+$/, '');
  }
  const absolute = (flag: string, path: string): string => {
    if (!path) throw new InvalidArgumentError(`${flag} must not be empty`);
    return isAbsolute(path) ? path : resolve(path);
  };
  return {
    socketPath: absolute('--socket', flags.socket),
    rootDir: absolute('--root-dir', flags.rootDir),
    stateDir: absolute('--state-dir', flags.stateDir),
    ociRuntime: flags.runtime,
    insecureRegistries: flags.insecureRegistry,
    registryMirrors,
    cniConfDir: absolute('--cni-conf-dir', flags.cniConfDir),
    cniBinDirs: flags.cniBinDir.split(':').map((dir) => absolute('--cni-bin-dir', dir)),
    devices: deviceConfig(flags, absolute),
    maxLayerBytes: parseMaxLayerSize(flags.maxLayerSize),
    pidsLimit: parsePidsLimit(flags.pidsLimit),
    cgroupDriver: flags.cgroupDriver !== undefined ? parseCgroupDriver(flags.cgroupDriver, '--cgroup-driver') : (readRuntimeConfigFile(flags.runtimeConfig).cgroupDriver ?? 'cgroupfs'),
  };
}
