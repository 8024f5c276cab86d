// Privilege: capabilities, the /proc and /sys paths hidden or frozen, a read-only rootfs, the
// seccomp filter and the pod's sysctls. AppArmor and SELinux options are ignored: berth's hosts
// run neither.
import { InvalidArgumentError, UnimplementedError } from '../../../common/errors.js';
import { resolveCapabilities } from './capabilities.js';
import { containerPath } from './container-paths.js';
import { seccompFor } from './seccomp-choice.js';
import type { SpecOption } from './spec-context.js';
import { checkedSysctls } from './sysctls.js';

export const defaultMaskedPaths: readonly string[] = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const defaultReadonlyPaths: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const withCapabilities: SpecOption = (spec, { input, security, privileged }) => {
  const requested = security?.capabilities;
  if (requested && requested.addAmbientCapabilities.length > 0) {
    throw new UnimplementedError('ambient capabilities are not supported by berth yet; drop add_ambient_capabilities');
  }
  if (privileged && !(input.sandbox.config.linux?.securityContext?.privileged ?? false)) {
    throw new InvalidArgumentError(`container ${input.containerId} asks to be privileged but its sandbox ${input.sandbox.id} is not; the pod must allow privileged containers`);
  }
  const set = resolveCapabilities({
    add: requested?.addCapabilities ?? [],
    drop: requested?.dropCapabilities ?? [],
    privileged,
    available: input.host.boundingCapabilities,
  });
  spec.process.capabilities = { bounding: set, effective: [...set], permitted: [...set], inheritable: [], ambient: [] };
};

/**
 * The CRI lists replace berth's defaults when non-empty (the kubelet sends the defaults for
 * procMount Default); proto3 cannot tell an empty list from an absent one, so empty means default.
 */
export const withMaskedPaths: SpecOption = (spec, { security, privileged }) => {
  if (privileged) return;
  const masked = security?.maskedPaths ?? [];
  const readonly = security?.readonlyPaths ?? [];
  spec.linux.maskedPaths = masked.length > 0 ? masked.map((p) => containerPath(p, 'masked path')) : [...defaultMaskedPaths];
  spec.linux.readonlyPaths = readonly.length > 0 ? readonly.map((p) => containerPath(p, 'read-only path')) : [...defaultReadonlyPaths];
};

export const withReadonlyRootfs: SpecOption = (spec, { security }) => {
  if (security?.readonlyRootfs === true) spec.root.readonly = true;
};

export const withSeccomp: SpecOption = (spec, context) => {
  const profile = seccompFor(context, spec.process.capabilities?.effective ?? []);
  if (profile) spec.linux.seccomp = profile;
};

export const withSysctls: SpecOption = (spec, { input, namespaces }) => {
  const sysctls = input.sandbox.config.linux?.sysctls ?? {};
  if (Object.keys(sysctls).length === 0) return;
  spec.linux.sysctl = checkedSysctls(sysctls, {
    ownNetwork: namespaces.network === 'POD',
    ownIpc: namespaces.ipc === 'POD',
  });
};
