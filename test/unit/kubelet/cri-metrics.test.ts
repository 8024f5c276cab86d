import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { ListMetricDescriptorsResponse__Output, ListPodSandboxMetricsResponse__Output } from '../../../api/cri/messages.js';
import { CriCallError } from '../../../cri/client/cri-client.js';
import { CriMetrics, criMetricFamilies } from '../../../kubelet/stats/cri-metrics.js';
import { renderFamilies } from '../../../kubelet/stats/text-format.js';

const descriptors: ListMetricDescriptorsResponse__Output = {
  descriptors: [{ name: 'container_oom_events_total', help: 'OOM events', labelKeys: ['container', 'pod'] }],
};

function metric(name: string, labelValues: string[], value: number): ListPodSandboxMetricsResponse__Output['podMetrics'][number]['metrics'][number] {
  return { name, timestamp: '0', metricType: 'COUNTER', labelValues, value: { value: String(value) } };
}

const pods: ListPodSandboxMetricsResponse__Output = {
  podMetrics: [
    {
      podSandboxId: 'sb1',
      metrics: [metric('container_oom_events_total', ['', 'web'], 1)],
      containerMetrics: [
        {
          containerId: 'c1',
          metrics: [metric('container_oom_events_total', ['app', 'web'], 2), metric('undeclared_metric', ['app', 'web'], 9), metric('container_oom_events_total', ['too-few'], 3)],
        },
      ],
    },
  ],
};

describe("the runtime's CRI metrics on /metrics/cadvisor", () => {
  it('renders declared metrics with their labels and drops the rest', () => {
    expect(renderFamilies(criMetricFamilies(descriptors, pods))).toBe(
      [
        '# HELP container_oom_events_total OOM events',
        '# TYPE container_oom_events_total counter',
        'container_oom_events_total{container="",pod="web"} 1',
        'container_oom_events_total{container="app",pod="web"} 2',
        '',
      ].join('\n'),
    );
  });

  it('leaves out a family the page already has', () => {
    expect(criMetricFamilies(descriptors, pods, new Set(['container_oom_events_total']))).toEqual([]);
  });

  it('stops asking a runtime that answers Unimplemented, and asks for the descriptors once', async () => {
    let descriptorCalls = 0;
    let metricCalls = 0;
    const supported = new CriMetrics({
      listMetricDescriptors: async () => {
        descriptorCalls++;
        return descriptors;
      },
      listPodSandboxMetrics: async () => {
        metricCalls++;
        return pods;
      },
    });
    await supported.families();
    expect((await supported.families())[0]?.samples).toHaveLength(2);
    expect([descriptorCalls, metricCalls]).toEqual([1, 2]);

    const unsupported = new CriMetrics({
      listMetricDescriptors: async () => {
        descriptorCalls++;
        throw new CriCallError('ListMetricDescriptors', GrpcStatus.UNIMPLEMENTED, 'unknown service');
      },
      listPodSandboxMetrics: async () => pods,
    });
    expect(await unsupported.families()).toEqual([]);
    expect(await unsupported.families()).toEqual([]);
    expect(descriptorCalls).toBe(2);
  });

  it('passes other failures on', async () => {
    const failing = new CriMetrics({
      listMetricDescriptors: async () => descriptors,
      listPodSandboxMetrics: async () => {
        throw new CriCallError('ListPodSandboxMetrics', GrpcStatus.UNAVAILABLE, 'down');
      },
    });
    await expect(failing.families()).rejects.toThrow(/down/);
  });
});
