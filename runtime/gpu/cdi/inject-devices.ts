// The whole CDI step of container creation: resolve the requested names against the node's
// specs, read the missing device numbers from the host, then edit the OCI spec. `env` (the
// --gpus request's NVIDIA_* variables) is applied last so it wins over any spec's value;
// `withheldMounts` drops the specs' mounts of those host paths (driver files of capabilities the
// request did not ask for).
import type { Spec } from '../../oci/spec/runtime-spec.js';
import { applyCdiEdits } from './apply-edits.js';
import type { CdiRegistry } from './cdi-registry.js';
import { completeDeviceNodes, type CompleteCdiEdits, type ReadDeviceNode } from './complete-device-nodes.js';

export interface DeviceInjection {
  cdiDevices: readonly string[];
  env?: readonly string[];
  withheldMounts?: readonly string[];
}

export async function injectCdiDevices(spec: Spec, registry: CdiRegistry, injection: DeviceInjection, read?: ReadDeviceNode): Promise<Spec> {
  if (injection.cdiDevices.length === 0 && (injection.env ?? []).length === 0) return spec;
  const completed = withholdMounts(await completeDeviceNodes(registry.resolve(injection.cdiDevices), read), injection.withheldMounts ?? []);
  if (injection.env !== undefined && injection.env.length > 0) {
    completed.push({ source: 'GPU request', edits: { env: [...injection.env] } });
  }
  return applyCdiEdits(spec, completed);
}

function withholdMounts(resolved: CompleteCdiEdits[], withheld: readonly string[]): CompleteCdiEdits[] {
  if (withheld.length === 0) return resolved;
  const withheldPaths = new Set(withheld);
  return resolved.map((entry) => (entry.edits.mounts === undefined ? entry : { ...entry, edits: { ...entry.edits, mounts: entry.edits.mounts.filter((m) => !withheldPaths.has(m.hostPath)) } }));
}
