// CreateContainer's config, checked before an image is resolved or a snapshot is made. The
// runtime checks again what it relies on; this layer refuses early, with the field named.
import type { ContainerConfig__Output, PodSandboxConfig__Output } from '../../api/cri/messages.js';
import { InvalidArgumentError } from '../../common/errors.js';
import { checkAbsolutePath, checkMetadataString, checkStringMap, quoted } from './fields.js';
import { checkLogPath, type HostPathPolicy } from './host-paths.js';
import { checkResources, type HugepageSizes } from './resources.js';

export interface ContainerRules {
  hostPaths: HostPathPolicy;
  hugepageSizes: HugepageSizes;
}

/** `sandbox` is the pod's config as berth recorded it (not the copy the request carries). */
export async function checkContainerConfig(config: ContainerConfig__Output | null, sandbox: PodSandboxConfig__Output, rules: ContainerRules): Promise<void> {
  if (!config) throw new InvalidArgumentError('CreateContainer needs a config');
  if (!config.metadata) throw new InvalidArgumentError('metadata must be set (a name)');
  checkMetadataString('metadata.name', config.metadata.name);
  if (!config.image?.image) throw new InvalidArgumentError('image.image must name an image');
  // execve takes NUL-terminated strings: a NUL would cut them short where runc cannot say which.
  for (const field of ['command', 'args'] as const) {
    const index = config[field].findIndex((word) => word.includes('\0'));
    if (index >= 0) throw new InvalidArgumentError(`${field}[${index}] ${quoted(config[field][index] ?? '')} contains a NUL byte`);
  }
  for (const [index, { key, value }] of config.envs.entries()) {
    if (key === '' || key.includes('=') || key.includes('\0')) throw new InvalidArgumentError(`envs[${index}].key ${quoted(key)} must be a non-empty name without "=" or NUL`);
    if (value.includes(0)) throw new InvalidArgumentError(`envs[${index}].value of ${quoted(key)} contains a NUL byte`);
  }
  checkStringMap('labels', config.labels);
  checkStringMap('annotations', config.annotations);
  for (const [index, device] of config.devices.entries()) {
    checkAbsolutePath(`devices[${index}].host_path`, device.hostPath);
    if (device.containerPath !== '') checkAbsolutePath(`devices[${index}].container_path`, device.containerPath);
  }
  await checkResources('linux.resources', config.linux?.resources ?? null, { hugepageSizes: rules.hugepageSizes });
  await rules.hostPaths.checkMounts(config.mounts, config.linux?.securityContext?.privileged ?? false);
  await checkLogPath(sandbox.logDirectory, config.logPath);
}
