// What RunPodSandbox refuses before it does anything: a config without the metadata a sandbox
// is named by, names that would escape a path, a hostname the kernel would refuse, port
// mappings out of range, and what berth cannot do yet.
import type { PodSandboxConfig__Output } from '../../api/cri/messages.js';
import { InvalidArgumentError } from '../../common/errors.js';

const hostnamePattern = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/;

export function validSandboxConfig(config: PodSandboxConfig__Output | null): PodSandboxConfig__Output {
  if (!config) throw new InvalidArgumentError('RunPodSandbox needs a config');
  const m = config.metadata;
  if (!m?.name || !m.namespace || !m.uid) {
    throw new InvalidArgumentError('pod sandbox metadata needs name, namespace and uid');
  }
  for (const [field, value] of [
    ['name', m.name],
    ['namespace', m.namespace],
    ['uid', m.uid],
  ] as const) {
    if (value.length > 253 || /[\s/\\_]|\.\./.test(value)) {
      throw new InvalidArgumentError(`pod sandbox metadata ${field} ${JSON.stringify(value)} may not contain "/", "_", "..", or whitespace`);
    }
  }
  // The kernel's limit (HOST_NAME_MAX) and the characters a hostname may have.
  if (config.hostname && (config.hostname.length > 64 || !hostnamePattern.test(config.hostname))) {
    throw new InvalidArgumentError(`hostname ${JSON.stringify(config.hostname)} must be at most 64 letters, digits, "-" or "."`);
  }
  if (config.logDirectory && !config.logDirectory.startsWith('/')) {
    throw new InvalidArgumentError(`log directory ${JSON.stringify(config.logDirectory)} must be an absolute path`);
  }
  for (const mapping of config.portMappings) {
    if (mapping.hostPort < 0 || mapping.hostPort > 65535 || mapping.containerPort <= 0 || mapping.containerPort > 65535) {
      throw new InvalidArgumentError(`port mapping ${mapping.hostPort}:${mapping.containerPort} is out of range`);
    }
  }
  if (config.linux?.securityContext?.namespaceOptions?.usernsOptions?.mode === 'POD') {
    throw new InvalidArgumentError('user namespaces are not supported by berth yet');
  }
  return config;
}

/**
 * Whether the cgroup at `path` is the pod's own, named after its uid as the kubelet names pod
 * cgroups (…/pod<uid> with cgroupfs, …-pod<uid, "-" as "_">.slice with systemd): berth removes
 * only such a cgroup with the pod.
 */
export function isPodOwnCgroup(path: string, podUid: string): boolean {
  const last = path.split('/').at(-1) ?? '';
  return podUid !== '' && (last === `pod${podUid}` || last.endsWith(`-pod${podUid.replaceAll('-', '_')}.slice`));
}
