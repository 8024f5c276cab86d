// Pod sysctls are written by runc into /proc/sys of the container's namespaces, so only sysctls
// that the kernel scopes to a namespace the pod owns are allowed: IPC ones need the pod's own IPC
// namespace, net.* its own network namespace. Anything else would reconfigure the node.
import { InvalidArgumentError } from '../../../common/errors.js';

export interface SysctlScope {
  ownNetwork: boolean;
  ownIpc: boolean;
}

// Dot-separated segments of [A-Za-z0-9_-]; "/" separators are refused rather than translated,
// because runc turns "." into "/" and a "/" or ".." in a key could address another file.
const keyPattern = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/;
const ipcKeys = /^(kernel\.shm[A-Za-z0-9_]*|kernel\.msg[A-Za-z0-9_]*|kernel\.sem|fs\.mqueue\..+)$/;

function namespaceOf(key: string): 'ipc' | 'network' | undefined {
  if (ipcKeys.test(key)) return 'ipc';
  if (key.startsWith('net.')) return 'network';
  return undefined;
}

function checkValue(key: string, value: string): void {
  // A newline or "=" in the value is how a second "key=value" gets smuggled past this check into
  // tools that re-serialise sysctls as lines.
  if (value === '' || /[\n\r\0=;]/.test(value)) {
    throw new InvalidArgumentError(`sysctl ${key} has an invalid value ${JSON.stringify(value)}: give one non-empty value without newlines, "=" or ";"`);
  }
}

export function checkedSysctls(sysctls: Readonly<Record<string, string>>, scope: SysctlScope): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(sysctls)) {
    if (!keyPattern.test(key)) {
      throw new InvalidArgumentError(`sysctl name ${JSON.stringify(key)} is invalid: use the dotted form, e.g. net.ipv4.ip_forward`);
    }
    const namespace = namespaceOf(key);
    if (namespace === undefined) {
      throw new InvalidArgumentError(`sysctl ${key} is not namespaced: it would change the node, so pods may not set it`);
    }
    if (namespace === 'network' && !scope.ownNetwork) {
      throw new InvalidArgumentError(`sysctl ${key} needs the pod's own network namespace; a host-network pod may not set it`);
    }
    if (namespace === 'ipc' && !scope.ownIpc) {
      throw new InvalidArgumentError(`sysctl ${key} needs the pod's own IPC namespace; a host-IPC pod may not set it`);
    }
    checkValue(key, value);
    result[key] = value;
  }
  return result;
}
