// The runtime's own cAdvisor series (CRI ListMetricDescriptors + ListPodSandboxMetrics) as
// Prometheus families for /metrics/cadvisor, beside what the kubelet derives from the stats RPCs.
// The descriptors are asked once; a runtime without the RPCs (containerd 1.6 answers
// Unimplemented) is asked no more and the page keeps the stats-derived series only.
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ListMetricDescriptorsResponse__Output, ListPodSandboxMetricsResponse__Output, Metric__Output } from '../../api/cri/messages.js';
import type { CriPort } from '../cri-port.js';
import type { Family } from './text-format.js';

export type MetricsCri = Pick<CriPort, 'listMetricDescriptors' | 'listPodSandboxMetrics'>;

interface Descriptor {
  help: string;
  labelKeys: string[];
}

const unimplemented = (error: unknown): boolean => (error as { grpcCode?: number }).grpcCode === GrpcStatus.UNIMPLEMENTED;

/**
 * Pure: the pods' metrics as families, one per descriptor that has samples. A metric whose name
 * no descriptor declares, whose label values do not match its keys, or whose name the caller
 * already renders (`taken`) is dropped, as the upstream kubelet drops it.
 */
export function criMetricFamilies(descriptors: ListMetricDescriptorsResponse__Output, pods: ListPodSandboxMetricsResponse__Output, taken: ReadonlySet<string> = new Set()): Family[] {
  const declared = new Map<string, Descriptor>(descriptors.descriptors.map((d) => [d.name, { help: d.help, labelKeys: d.labelKeys }]));
  const families = new Map<string, Family>();
  const add = (metric: Metric__Output): void => {
    const descriptor = declared.get(metric.name);
    if (!descriptor || taken.has(metric.name) || metric.labelValues.length !== descriptor.labelKeys.length || !metric.value) return;
    let family = families.get(metric.name);
    if (!family) {
      family = { name: metric.name, help: descriptor.help, type: metric.metricType === 'COUNTER' ? 'counter' : 'gauge', samples: [] };
      families.set(metric.name, family);
    }
    const labels = Object.fromEntries(descriptor.labelKeys.map((key, i) => [key, metric.labelValues[i] ?? '']));
    const stamp = Number(metric.timestamp);
    family.samples.push({ labels, value: Number(metric.value.value), timestampMs: stamp > 0 ? stamp / 1e6 : undefined });
  };
  for (const pod of pods.podMetrics) {
    pod.metrics.forEach(add);
    for (const container of pod.containerMetrics) container.metrics.forEach(add);
  }
  return [...families.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export class CriMetrics {
  private descriptors: ListMetricDescriptorsResponse__Output | undefined;
  private supported = true;

  constructor(private readonly cri: MetricsCri) {}

  /** The families of one scrape; none when the runtime has no metrics RPCs. */
  async families(): Promise<Family[]> {
    if (!this.supported) return [];
    try {
      this.descriptors ??= await this.cri.listMetricDescriptors();
      return criMetricFamilies(this.descriptors, await this.cri.listPodSandboxMetrics());
    } catch (error) {
      if (!unimplemented(error)) throw error;
      this.supported = false;
      return [];
    }
  }
}
