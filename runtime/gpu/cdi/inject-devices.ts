// The whole CDI step of container creation: resolve the requested names against the node's
// specs, read the missing device numbers from the host, then edit the OCI spec. `env` (the
// --gpus request's NVIDIA_* variables) is applied last so it wins over any spec's value.
import type { Spec } from '../../oci/spec/runtime-spec.js';
import { applyCdiEdits } from './apply-edits.js';
import type { CdiRegistry } from './cdi-registry.js';
import { completeDeviceNodes, type ReadDeviceNode } from './complete-device-nodes.js';

export interface DeviceInjection {
  cdiDevices: readonly string[];
  env?: readonly string[];
}

export async function injectCdiDevices(
  spec: Spec,
  registry: CdiRegistry,
  injection: DeviceInjection,
  read?: ReadDeviceNode,
): Promise<Spec> {
  if (injection.cdiDevices.length === 0 && (injection.env ?? []).length === 0) return spec;
  const completed = await completeDeviceNodes(registry.resolve(injection.cdiDevices), read);
  if (injection.env !== undefined && injection.env.length > 0) {
    completed.push({ source: 'GPU request', edits: { env: [...injection.env] } });
  }
  return applyCdiEdits(spec, completed);
}
