// Reads a plugin's ADD output and picks the pod's addresses out of it.
import { isIP } from 'node:net';
import { InternalError } from '../common/errors.js';
import type { CniInterface, CniIpConfig, CniResult } from './types.js';

export function parseCniResult(stdout: string, pluginType: string): CniResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new InternalError(`CNI plugin "${pluginType}" ADD printed no JSON result: ${stdout.trim().slice(0, 200) || '(empty)'}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InternalError(`CNI plugin "${pluginType}" ADD printed ${JSON.stringify(parsed)}, not a result object`);
  }
  const result = parsed as CniResult;
  if (typeof result.cniVersion !== 'string') throw new InternalError(`CNI plugin "${pluginType}" result has no cniVersion`);
  if (result.ips !== undefined && (!Array.isArray(result.ips) || !result.ips.every(isIpConfig))) {
    throw new InternalError(`CNI plugin "${pluginType}" result has malformed "ips"`);
  }
  if (result.interfaces !== undefined && (!Array.isArray(result.interfaces) || !result.interfaces.every((i) => typeof i?.name === 'string'))) {
    throw new InternalError(`CNI plugin "${pluginType}" result has malformed "interfaces"`);
  }
  return result;
}

function isIpConfig(value: unknown): value is CniIpConfig {
  const address = (value as { address?: unknown } | null)?.address;
  return typeof address === 'string' && isIP(address.split('/')[0] ?? '') !== 0;
}

/**
 * The pod's addresses: those on an interface inside the sandbox (a bridge result also lists the
 * host-side bridge and veth), or every address when the plugin gave no interface index.
 * Returned without prefix length, split by family, in result order (the first v4 is the
 * pod's primary IP, as in containerd).
 */
export function podAddresses(result: CniResult): { v4: string[]; v6: string[] } {
  const interfaces: CniInterface[] = result.interfaces ?? [];
  const ips = (result.ips ?? []).filter((ip) => {
    if (ip.interface === undefined) return true;
    return interfaces[ip.interface]?.sandbox !== undefined && interfaces[ip.interface]?.sandbox !== '';
  });
  const addresses = ips.map((ip) => ip.address.split('/')[0] ?? '');
  return { v4: addresses.filter((a) => isIP(a) === 4), v6: addresses.filter((a) => isIP(a) === 6) };
}
