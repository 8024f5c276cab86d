// Turns the parsed runtime flags into the one validated RuntimeConfig.
import { isAbsolute, resolve } from 'node:path';
import { InvalidArgumentError } from '../common/errors.js';
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
  logLevel: LogLevel;
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
  };
}
