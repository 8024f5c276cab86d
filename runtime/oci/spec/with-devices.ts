// Device nodes and the devices cgroup. A container may open only the harmless character devices
// every program expects (and the ones the CRI request names); everything else is denied, while
// mknod itself stays allowed so that image tooling can create nodes it then cannot open.
// Device numbers come from the caller's lstat of the host path: the builder does no I/O.
import type { Device__Output } from '../../../api/cri/messages.js';
import { InvalidArgumentError, NotFoundError } from '../../../common/errors.js';
import { containerPath, hostPath } from './container-paths.js';
import type { LinuxDevice, LinuxDeviceCgroup } from './runtime-spec.js';
import type { SpecOption } from './spec-context.js';
import type { HostDevice, HostDeviceEntry } from './spec-input.js';

function charDevice(major: number | undefined, minor: number | undefined, access = 'rwm'): LinuxDeviceCgroup {
  const rule: LinuxDeviceCgroup = { allow: true, type: 'c', access };
  if (major !== undefined) rule.major = major;
  if (minor !== undefined) rule.minor = minor;
  return rule;
}

/** Deny everything, then allow the standard nodes (fuse and tun are left to explicit requests). */
export const defaultDeviceRules: readonly LinuxDeviceCgroup[] = [
  { allow: false, access: 'rwm' },
  charDevice(undefined, undefined, 'm'),
  { allow: true, type: 'b', access: 'm' },
  charDevice(1, 3), // /dev/null
  charDevice(1, 5), // /dev/zero
  charDevice(1, 7), // /dev/full
  charDevice(1, 8), // /dev/random
  charDevice(1, 9), // /dev/urandom
  charDevice(5, 0), // /dev/tty
  charDevice(5, 1), // /dev/console
  charDevice(5, 2), // /dev/ptmx
  charDevice(136, undefined), // /dev/pts/*
];

const permissionsPattern = /^(?!.*(.).*\1)[rwm]{1,3}$/;

function devicePermissions(permissions: string, path: string): string {
  if (permissions === '') return 'rwm';
  if (!permissionsPattern.test(permissions)) {
    throw new InvalidArgumentError(`device ${path} permissions "${permissions}" are invalid: use letters from "rwm", each once`);
  }
  return permissions;
}

export interface RequestedDevice {
  node: LinuxDevice;
  rule: LinuxDeviceCgroup;
}

export function requestedDevice(device: Device__Output, known: Readonly<Record<string, HostDevice>>): RequestedDevice {
  const source = hostPath(device.hostPath, 'device host_path');
  const destination = containerPath(device.containerPath === '' ? source : device.containerPath, 'device container_path');
  const found = known[source];
  if (found === undefined) throw new NotFoundError(`device ${source} was not found on the host`);
  if (found.type !== 'c' && found.type !== 'b') {
    throw new InvalidArgumentError(`${source} is not a character or block device`);
  }
  const node: LinuxDevice = { path: destination, type: found.type, major: found.major, minor: found.minor };
  if (found.fileMode !== undefined) node.fileMode = found.fileMode;
  if (found.uid !== undefined) node.uid = found.uid;
  if (found.gid !== undefined) node.gid = found.gid;
  const access = devicePermissions(device.permissions, source);
  return { node, rule: { allow: true, type: found.type, major: found.major, minor: found.minor, access } };
}

function hostDeviceNode({ path, type, major, minor, fileMode, uid, gid }: HostDeviceEntry): LinuxDevice {
  return {
    path,
    type,
    major,
    minor,
    ...(fileMode !== undefined ? { fileMode } : {}),
    ...(uid !== undefined ? { uid } : {}),
    ...(gid !== undefined ? { gid } : {}),
  };
}

export const withDevices: SpecOption = (spec, { input, privileged, warnings }) => {
  const resources = spec.linux.resources ?? {};
  spec.linux.resources = resources;
  const requested = input.config.devices.map((d) => requestedDevice(d, input.devices ?? {}));
  let nodes = requested.map((d) => d.node);
  if (privileged) {
    resources.devices = [{ allow: true, access: 'rwm' }];
    if (input.allHostDevices === undefined) {
      warnings.push('privileged container gets no host devices: the caller listed none');
    } else {
      // A requested device keeps its own container path; the host's copy at that path yields.
      const taken = new Set(nodes.map((n) => n.path));
      nodes = [...input.allHostDevices.filter((d) => !taken.has(d.path)).map(hostDeviceNode), ...nodes];
    }
  } else {
    resources.devices = [...defaultDeviceRules.map((r) => ({ ...r })), ...requested.map((d) => d.rule)];
  }
  if (nodes.length > 0) spec.linux.devices = nodes;
};
