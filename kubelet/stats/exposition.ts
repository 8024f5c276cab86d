// The Prometheus pages the kubelet serves, rendered from one snapshot per scrape, so a pod that is
// gone disappears from the next page:
//   /metrics/cadvisor   cAdvisor's names and labels (container, pod, namespace, image, name, id),
//                       through a fresh prom-client registry
//   /metrics/resource   the kubelet's resource metrics (what metrics-server reads), each sample
//                       stamped with the time the runtime read it (text-format.ts), as upstream
// Counters carry the runtime's cumulative totals as read.
import { Counter, Gauge, Registry } from 'prom-client';
import { renderFamilies, type Family } from './text-format.js';
import type { NodeUsage } from './node-usage.js';
import type { PodSample } from './pod-stats.js';

export interface Machine {
  cpuCores: number;
  memoryBytes: number;
}

type Labels = Record<string, string>;

function gauge(registry: Registry, name: string, help: string, labelNames: string[]): Gauge {
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter {
  return new Counter({ name, help, labelNames, registers: [registry] });
}

const containerLabels = ['container', 'pod', 'namespace', 'image', 'name', 'id'];

export async function renderCadvisor(pods: readonly PodSample[], machine: Machine): Promise<string> {
  const registry = new Registry();
  const cpu = counter(registry, 'container_cpu_usage_seconds_total', 'Cumulative cpu time consumed in seconds.', [...containerLabels, 'cpu']);
  const workingSet = gauge(registry, 'container_memory_working_set_bytes', 'Current working set in bytes.', containerLabels);
  const usage = gauge(registry, 'container_memory_usage_bytes', 'Current memory usage in bytes, including all memory regardless of when it was accessed.', containerLabels);
  const rss = gauge(registry, 'container_memory_rss', 'Size of RSS in bytes.', containerLabels);
  const faults = counter(registry, 'container_memory_failures_total', 'Cumulative count of memory allocation failures.', [...containerLabels, 'failure_type', 'scope']);
  const fsUsage = gauge(registry, 'container_fs_usage_bytes', 'Number of bytes that are consumed by the container on this filesystem.', [...containerLabels, 'device']);
  const start = gauge(registry, 'container_start_time_seconds', 'Start time of the container since unix epoch in seconds.', containerLabels);
  const lastSeen = gauge(registry, 'container_last_seen', 'Last time a container was seen by the exporter', containerLabels);
  const rx = counter(registry, 'container_network_receive_bytes_total', 'Cumulative count of bytes received', [...containerLabels, 'interface']);
  const tx = counter(registry, 'container_network_transmit_bytes_total', 'Cumulative count of bytes transmitted', [...containerLabels, 'interface']);
  const rxErrors = counter(registry, 'container_network_receive_errors_total', 'Cumulative count of errors encountered while receiving', [...containerLabels, 'interface']);
  const txErrors = counter(registry, 'container_network_transmit_errors_total', 'Cumulative count of errors encountered while transmitting', [...containerLabels, 'interface']);
  // cAdvisor's PSI series: "waiting" is the some line (at least one task stalled), "stalled" the full line (all of them).
  const pressure = (['cpu', 'memory', 'io'] as const).map((resource) => ({
    resource,
    waiting: counter(registry, `container_pressure_${resource}_waiting_seconds_total`, `Total time duration tasks in the container have waited due to ${resource} congestion.`, containerLabels),
    stalled: counter(
      registry,
      `container_pressure_${resource}_stalled_seconds_total`,
      `Total time duration no tasks in the container could make progress due to ${resource} congestion.`,
      containerLabels,
    ),
  }));
  gauge(registry, 'machine_cpu_cores', 'Number of logical CPU cores.', []).set(machine.cpuCores);
  gauge(registry, 'machine_memory_bytes', 'Amount of memory installed on the machine.', []).set(machine.memoryBytes);

  const set = (metric: Gauge, labels: Labels, v: number | undefined): void => {
    if (v !== undefined) metric.set(labels, v);
  };
  const add = (metric: Counter, labels: Labels, v: number | undefined): void => {
    if (v !== undefined && v >= 0) metric.inc(labels, v);
  };
  for (const pod of pods) {
    // cAdvisor's pod-level series: container="" and the pod cgroup's figures; the network lives there.
    const podLabels: Labels = { container: '', pod: pod.name, namespace: pod.namespace, image: '', name: '', id: `/pod${pod.uid}` };
    add(cpu, { ...podLabels, cpu: 'total' }, pod.cpuUsageSeconds);
    set(workingSet, podLabels, pod.memoryWorkingSetBytes);
    set(usage, podLabels, pod.memoryUsageBytes);
    set(rss, podLabels, pod.memoryRssBytes);
    set(start, podLabels, pod.startTimeMs / 1000);
    set(lastSeen, podLabels, pod.timestampMs / 1000);
    for (const i of pod.interfaces) {
      const labels = { ...podLabels, interface: i.name };
      add(rx, labels, i.rxBytes);
      add(tx, labels, i.txBytes);
      add(rxErrors, labels, i.rxErrors);
      add(txErrors, labels, i.txErrors);
    }
    for (const c of pod.containers) {
      const labels: Labels = { container: c.name, pod: pod.name, namespace: pod.namespace, image: c.image, name: c.id, id: `/pod${pod.uid}/${c.id}` };
      add(cpu, { ...labels, cpu: 'total' }, c.cpuUsageSeconds);
      set(workingSet, labels, c.memoryWorkingSetBytes);
      set(usage, labels, c.memoryUsageBytes);
      set(rss, labels, c.memoryRssBytes);
      add(faults, { ...labels, failure_type: 'pgfault', scope: 'container' }, c.pageFaults);
      add(faults, { ...labels, failure_type: 'pgmajfault', scope: 'container' }, c.majorPageFaults);
      set(fsUsage, { ...labels, device: 'rootfs' }, c.writableLayerBytes);
      set(start, labels, c.startTimeMs / 1000);
      set(lastSeen, labels, c.timestampMs / 1000);
      for (const { resource, waiting, stalled } of pressure) {
        const psi = c.psi?.[resource];
        if (!psi) continue;
        add(waiting, labels, psi.some.totalNanos / 1e9);
        add(stalled, labels, (psi.full?.totalNanos ?? 0) / 1e9);
      }
    }
  }
  return registry.metrics();
}

export function renderResource(pods: readonly PodSample[], node: NodeUsage | undefined, scrapeFailed: boolean): string {
  const family = (name: string, help: string, type: Family['type']): Family => ({ name, help, type, samples: [] });
  const nodeCpu = family('node_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the node in core-seconds', 'counter');
  const nodeMemory = family('node_memory_working_set_bytes', 'Current working set of the node in bytes', 'gauge');
  const containerCpu = family('container_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the container in core-seconds', 'counter');
  const containerMemory = family('container_memory_working_set_bytes', 'Current working set of the container in bytes', 'gauge');
  const containerStart = family('container_start_time_seconds', 'Start time of the container since unix epoch in seconds', 'gauge');
  const podCpu = family('pod_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the pod in core-seconds', 'counter');
  const podMemory = family('pod_memory_working_set_bytes', 'Current working set of the pod in bytes', 'gauge');
  const scrapeError = family('resource_scrape_error', '1 if there was an error while getting container metrics, 0 otherwise', 'gauge');
  scrapeError.samples.push({ value: scrapeFailed ? 1 : 0 });
  if (node) {
    nodeCpu.samples.push({ value: node.cpuUsageSeconds, timestampMs: node.timestampMs });
    nodeMemory.samples.push({ value: node.memoryWorkingSetBytes, timestampMs: node.timestampMs });
  }
  for (const pod of pods) {
    const podLabels = { pod: pod.name, namespace: pod.namespace };
    const at = pod.timestampMs;
    if (pod.cpuUsageSeconds !== undefined) podCpu.samples.push({ labels: podLabels, value: pod.cpuUsageSeconds, timestampMs: at });
    if (pod.memoryWorkingSetBytes !== undefined) podMemory.samples.push({ labels: podLabels, value: pod.memoryWorkingSetBytes, timestampMs: at });
    for (const c of pod.containers) {
      const labels = { container: c.name, ...podLabels };
      if (c.cpuUsageSeconds !== undefined) containerCpu.samples.push({ labels, value: c.cpuUsageSeconds, timestampMs: c.timestampMs });
      if (c.memoryWorkingSetBytes !== undefined) containerMemory.samples.push({ labels, value: c.memoryWorkingSetBytes, timestampMs: c.timestampMs });
      containerStart.samples.push({ labels, value: c.startTimeMs / 1000, timestampMs: c.startTimeMs });
    }
  }
  // Families in the upstream kubelet's order.
  return renderFamilies([containerCpu, containerMemory, containerStart, nodeCpu, nodeMemory, podCpu, podMemory, scrapeError]);
}
