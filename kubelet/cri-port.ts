// The narrow slice of the CRI the kubelet uses. `CriClient` satisfies it over a real socket; unit
// tests pass a recorder. Keeping it a Pick means the signatures can never drift from the client.
import type { CriClient } from '../cri/client/cri-client.js';

export type CriPort = Pick<
  CriClient,
  | 'version'
  | 'status'
  | 'runPodSandbox'
  | 'stopPodSandbox'
  | 'removePodSandbox'
  | 'podSandboxStatus'
  | 'listPodSandbox'
  | 'createContainer'
  | 'startContainer'
  | 'stopContainer'
  | 'removeContainer'
  | 'containerStatus'
  | 'listContainers'
  | 'listContainerStats'
  | 'listPodSandboxStats'
  | 'listMetricDescriptors'
  | 'listPodSandboxMetrics'
  | 'pullImage'
  | 'imageStatus'
  | 'execSync'
  | 'exec'
  | 'attach'
  | 'portForward'
  | 'containerEvents'
> &
  // Optional: unit tests' recorders leave it out, and a runtime that does not implement it is
  // treated as upstream treats one (the kubelet's own cgroupDriver holds).
  Partial<Pick<CriClient, 'runtimeConfig'>>;

/** Labels the kubelet puts on every CRI object and finds them by again (kept verbatim: tools read them). */
export const podNameLabel = 'io.kubernetes.pod.name';
export const podNamespaceLabel = 'io.kubernetes.pod.namespace';
export const podUidLabel = 'io.kubernetes.pod.uid';
export const containerNameLabel = 'io.kubernetes.container.name';
