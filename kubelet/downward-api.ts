// The downward API (pure): a pod's own fields and its containers' resources as strings, the way
// the upstream kubelet renders them for env (fieldRef, resourceFieldRef) and downwardAPI volumes.
import type { V1ObjectFieldSelector, V1Pod, V1ResourceFieldSelector } from '@kubernetes/client-node';
import { InvalidArgumentError } from '../common/errors.js';
import { parseQuantity } from './resources.js';

/** What the pod object does not hold yet when a container is created. */
export interface PodRuntimeFacts {
  podIp: string;
  hostIp: string;
  /** Used for limits a container does not set, as upstream uses the node's allocatable. */
  nodeCpuCores: number;
  nodeMemoryBytes: number;
}

/** `k="v"` lines, sorted by key, values quoted (upstream: Go's %q). */
function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((key) => `${key}=${JSON.stringify(map?.[key] ?? '')}`)
    .join('\n');
}

const subscript = /^metadata\.(labels|annotations)\['([^']*)'\]$/;

export function fieldRefValue(pod: V1Pod, selector: V1ObjectFieldSelector, facts: Pick<PodRuntimeFacts, 'podIp' | 'hostIp'>): string {
  const path = selector.fieldPath;
  const keyed = subscript.exec(path);
  if (keyed) {
    const map = keyed[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[keyed[2] ?? ''] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? 'default';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata?.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata?.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return facts.hostIp;
    case 'status.podIP':
    case 'status.podIPs':
      return facts.podIp;
    default:
      throw new InvalidArgumentError(`fieldRef ${path} is not a field the downward API offers`);
  }
}

/** A container's resource divided by the divisor and rounded up, as upstream. */
export function resourceFieldRefValue(pod: V1Pod, defaultContainer: string, selector: V1ResourceFieldSelector, facts: PodRuntimeFacts): string {
  const containerName = selector.containerName || defaultContainer;
  const container = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === containerName);
  if (!container) throw new InvalidArgumentError(`resourceFieldRef: pod has no container ${containerName}`);
  const [kind, resource = ''] = selector.resource.split(/\.(.*)/s);
  if ((kind !== 'limits' && kind !== 'requests') || !['cpu', 'memory', 'ephemeral-storage'].includes(resource)) {
    throw new InvalidArgumentError(`resourceFieldRef ${selector.resource} is not supported (limits or requests of cpu, memory, ephemeral-storage)`);
  }
  const limit = parseQuantity(container.resources?.limits?.[resource]);
  const request = parseQuantity(container.resources?.requests?.[resource]) ?? limit;
  const nodeValue = resource === 'cpu' ? facts.nodeCpuCores : resource === 'memory' ? facts.nodeMemoryBytes : 0;
  const value = kind === 'limits' ? (limit ?? nodeValue) : (request ?? 0);
  // The API server writes an unset divisor as "0" (a Quantity's zero value); upstream's
  // ExtractContainerResourceValue reads a zero divisor as 1.
  const given = parseQuantity(selector.divisor as string | number | undefined);
  const divisor = given === undefined || given === 0 ? 1 : given;
  if (!(divisor > 0)) throw new InvalidArgumentError(`resourceFieldRef ${selector.resource}: divisor must be positive`);
  return String(Math.ceil(value / divisor - 1e-9));
}
