// Linux capabilities: every one the kernel defines up to CAP_CHECKPOINT_RESTORE (5.9), the 14
// that containerd grants by default, and the CRI add/drop arithmetic.
import { InvalidArgumentError } from '../../../common/errors.js';

/** In kernel number order (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40). */
export const allCapabilities: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

export const defaultCapabilities: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const known = new Set(allCapabilities);

/** "net_admin", "NET_ADMIN" and "CAP_NET_ADMIN" all name CAP_NET_ADMIN; unknown names are refused. */
export function capabilityName(text: string): string {
  const upper = text.trim().toUpperCase();
  const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!known.has(name)) {
    throw new InvalidArgumentError(`unknown capability "${text}": use a Linux capability name such as NET_ADMIN`);
  }
  return name;
}

function isAll(text: string): boolean {
  return text.trim().toUpperCase() === 'ALL';
}

export interface CapabilityRequest {
  add: readonly string[];
  drop: readonly string[];
  privileged: boolean;
  /**
   * The capabilities berth itself may grant (its bounding set); "ALL" and privileged mean these,
   * as in containerd: a host (or an outer container) without CAP_SYS_RESOURCE cannot hand it on,
   * and asking runc to would fail the create with EPERM.
   */
  available?: readonly string[] | undefined;
}

/** The capability names set in a /proc/<pid>/status mask such as CapBnd (hex). */
export function capabilitiesFromMask(hexMask: string): string[] {
  const mask = BigInt(`0x${hexMask.trim()}`);
  return allCapabilities.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/**
 * The capability set, in kernel order. Applied like containerd: add ALL, then drop ALL, then the
 * named adds, then the named drops, so a name both added and dropped ends up dropped. A
 * privileged container gets everything and its add/drop lists are not consulted.
 */
export function resolveCapabilities({ add, drop, privileged, available }: CapabilityRequest): string[] {
  const all = available ? allCapabilities.filter((c) => available.includes(c)) : allCapabilities;
  if (privileged) return [...all];
  let set = new Set(defaultCapabilities);
  if (add.some(isAll)) set = new Set(all);
  if (drop.some(isAll)) set = new Set();
  for (const name of add.filter((c) => !isAll(c))) set.add(capabilityName(name));
  for (const name of drop.filter((c) => !isAll(c))) set.delete(capabilityName(name));
  return allCapabilities.filter((c) => set.has(c));
}
