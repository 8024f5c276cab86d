// The fixed subset the conformance tier runs on a berth node: [NodeConformance] specs across pods,
// probes, volumes (emptyDir, downward API, secret, configMap, projected), env from the downward
// API, secrets and configMaps, lifecycle hooks, exec and logs. Full spec names
// as e2e.test's dry run prints them; each is matched by its whole name.
export const subset: string[] = [
  '[sig-node] Pods should get a host IP [Conformance] [NodeConformance]',
  '[sig-node] Pods should be submitted and removed [Conformance] [NodeConformance]',
  '[sig-node] Pods should be updated [Conformance] [NodeConformance]',
  '[sig-node] Pods should support remote command execution over websockets [Conformance] [NodeConformance]',
  '[sig-node] Pods should support retrieving logs from the container over websockets [Conformance] [NodeConformance]',
  '[sig-node] Probing container should be restarted with a exec "cat /tmp/health" liveness probe [Conformance] [NodeConformance]',
  '[sig-node] Probing container with readiness probe should not be ready before initial delay and never restart [Conformance] [NodeConformance]',
  '[sig-node] Downward API should provide pod name, namespace and IP address as env vars [Conformance] [NodeConformance]',
  "[sig-node] Downward API should provide container's limits.cpu/memory and requests.cpu/memory as env vars [Conformance] [NodeConformance]",
  '[sig-storage] Downward API volume should provide podname only [Conformance] [NodeConformance]',
  '[sig-storage] EmptyDir volumes volume on tmpfs should have the correct mode [LinuxOnly] [Conformance] [NodeConformance]',
  '[sig-storage] EmptyDir volumes should support (non-root,0644,tmpfs) [LinuxOnly] [Conformance] [NodeConformance]',
  '[sig-storage] Projected combined should project all components that make up the projection API [Projection] [Conformance] [NodeConformance]',
  '[sig-storage] Secrets should be consumable from pods in volume [Conformance] [NodeConformance]',
  '[sig-node] Secrets should be consumable from pods in env vars [Conformance] [NodeConformance]',
  '[sig-storage] ConfigMap should be consumable from pods in volume [Conformance] [NodeConformance]',
  '[sig-node] ConfigMap should be consumable via environment variable [Conformance] [NodeConformance]',
  '[sig-node] Container Lifecycle Hook when create a pod with lifecycle hook should execute poststart exec hook properly [Conformance] [NodeConformance]',
  '[sig-node] Container Lifecycle Hook when create a pod with lifecycle hook should execute prestop exec hook properly [Conformance] [NodeConformance]',
  '[sig-node] Kubelet when scheduling a busybox command in a pod should print the output to logs [Conformance] [NodeConformance]',
  '[sig-node] Container Runtime blackbox test on terminated container should report termination message from log output if TerminationMessagePolicy FallbackToLogsOnError is set [Conformance] [NodeConformance]',
  '[sig-node] Variable Expansion should allow composing env vars into new env vars [Conformance] [NodeConformance]',
  '[sig-node] Containers should use the image defaults if command and args are blank [Conformance] [NodeConformance]',
  '[sig-node] InitContainer should invoke init containers on a RestartNever pod [Conformance] [NodeConformance]',
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A Ginkgo focus that selects exactly the subset's specs. Anchored at the end only: the text Ginkgo
 * matches starts with more than the report's hierarchy (a leading ^ matches nothing).
 */
export function subsetFocus(): string {
  return subset.map((name) => `${escapeRegExp(name)}$`).join('|');
}
