// RunPodSandbox's config, checked before anything is created. The runtime checks again what it
// relies on; this layer refuses early, with the field named, what no kubelet would send.
import type { PodSandboxConfig__Output } from '../../api/cri/messages.js';
import { InvalidArgumentError, errorMessage } from '../../common/errors.js';
import { checkedSysctls } from '../../runtime/oci/spec/sysctls.js';
import { checkAbsolutePath, checkMetadataString, checkStringMap } from './fields.js';
import { checkResources, type HugepageSizes } from './resources.js';

export async function checkPodSandboxConfig(config: PodSandboxConfig__Output | null, hugepageSizes: HugepageSizes): Promise<void> {
  if (!config) throw new InvalidArgumentError('RunPodSandbox needs a config');
  const metadata = config.metadata;
  if (!metadata) throw new InvalidArgumentError('metadata must be set (name, namespace and uid)');
  for (const field of ['name', 'namespace', 'uid'] as const) {
    if (metadata[field] === '') throw new InvalidArgumentError(`metadata.${field} must not be empty: pod sandbox metadata needs name, namespace and uid`);
    checkMetadataString(`metadata.${field}`, metadata[field]);
  }
  checkStringMap('labels', config.labels);
  checkStringMap('annotations', config.annotations);
  if (config.logDirectory !== '') checkAbsolutePath('log_directory', config.logDirectory);
  const linux = config.linux;
  if (!linux) return;
  // Checked here, not only when the first container's spec is built: a pod that can never run a
  // container must not be created.
  const namespaces = linux.securityContext?.namespaceOptions;
  try {
    checkedSysctls(linux.sysctls, { ownNetwork: namespaces?.network !== 'NODE', ownIpc: namespaces?.ipc !== 'NODE' });
  } catch (error) {
    throw new InvalidArgumentError(`linux.sysctls: ${errorMessage(error)}`, { cause: error });
  }
  await checkResources('linux.resources', linux.resources, { hugepageSizes });
  await checkResources('linux.overhead', linux.overhead, { hugepageSizes, overhead: true });
}
