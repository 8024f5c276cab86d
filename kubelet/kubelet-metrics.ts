// The kubelet's own Prometheus metrics, under the upstream names dashboards use: the pod start
// SLI (creation to all containers running, image pulls excluded), container starts and their
// failures, PLEG relist time, and running pods and containers by state from the last relist;
// berth's container restart counter; and on a registry of their own (served as /metrics/probes,
// as upstream) the probe results.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface RuntimeCounts {
  /** Pods with a ready sandbox. */
  runningPods(): number;
  /** Containers by CRI state (running, exited, created, unknown). */
  containersByState(): ReadonlyMap<string, number>;
}

/** What pod workers report; a no-op for unit tests that do not look. */
export interface PodWorkerMetrics {
  containerStarted(containerType: 'container' | 'init_container'): void;
  /** A container started again after it exited (restart policy, liveness, sidecar). */
  containerRestarted(container: ContainerLabels): void;
  containerStartFailed(containerType: 'container' | 'init_container', code: string): void;
  podStarted(seconds: number): void;
  probeResult(probe: ProbeResultLabels): void;
}

export interface ContainerLabels {
  namespace: string;
  pod: string;
  container: string;
}

/** prober_probe_total's labels, upstream's names and values. */
export interface ProbeResultLabels {
  probe_type: 'Liveness' | 'Readiness' | 'Startup';
  result: 'successful' | 'failed';
  container: string;
  pod: string;
  namespace: string;
  pod_uid: string;
}

export const noPodWorkerMetrics: PodWorkerMetrics = {
  containerStarted: () => undefined,
  containerRestarted: () => undefined,
  containerStartFailed: () => undefined,
  podStarted: () => undefined,
  probeResult: () => undefined,
};

// Upstream's buckets for kubelet_pod_start_sli_duration_seconds.
const podStartBuckets = [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600];

export class KubeletMetrics implements PodWorkerMetrics {
  readonly registry = new Registry();
  /** Served as /metrics/probes. */
  readonly probeRegistry = new Registry();
  private readonly probes = new Counter({
    name: 'prober_probe_total',
    help: 'Cumulative number of a liveness, readiness or startup probe for a container by result',
    labelNames: ['probe_type', 'result', 'container', 'pod', 'namespace', 'pod_uid'],
    registers: [this.probeRegistry],
  });
  private readonly podStart: Histogram;
  private readonly started: Counter;
  private readonly restarts: Counter;
  private readonly startErrors: Counter;
  readonly plegRelist: Histogram;

  constructor(counts: RuntimeCounts) {
    const registers = [this.registry];
    this.podStart = new Histogram({
      name: 'kubelet_pod_start_sli_duration_seconds',
      help: 'Duration in seconds to start a pod, excluding time to pull images, observed from the pod creation until all its containers run',
      buckets: podStartBuckets,
      registers,
    });
    this.started = new Counter({ name: 'kubelet_started_containers_total', help: 'Cumulative number of containers started', labelNames: ['container_type'], registers });
    // berth's own: the upstream kubelet has no restart counter (kube-state-metrics reads restarts
    // from pod status), and a standalone node has no API for it to read.
    this.restarts = new Counter({
      name: 'berth_container_restarts_total',
      help: 'Containers started again after they exited, by pod and container',
      labelNames: ['namespace', 'pod', 'container'],
      registers,
    });
    this.startErrors = new Counter({
      name: 'kubelet_started_containers_errors_total',
      help: 'Cumulative number of errors when starting containers',
      labelNames: ['container_type', 'code'],
      registers,
    });
    this.plegRelist = new Histogram({
      name: 'kubelet_pleg_relist_duration_seconds',
      help: 'Duration in seconds for relisting pods in PLEG',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    new Gauge({
      name: 'kubelet_running_pods',
      help: 'Number of pods that have a running pod sandbox',
      registers,
      collect() {
        this.set(counts.runningPods());
      },
    });
    new Gauge({
      name: 'kubelet_running_containers',
      help: 'Number of containers currently running',
      labelNames: ['container_state'],
      registers,
      collect() {
        this.reset();
        for (const [state, count] of counts.containersByState()) this.set({ container_state: state }, count);
      },
    });
  }

  containerStarted(containerType: 'container' | 'init_container'): void {
    this.started.inc({ container_type: containerType });
  }

  containerRestarted(container: ContainerLabels): void {
    this.restarts.inc({ ...container });
  }

  containerStartFailed(containerType: 'container' | 'init_container', code: string): void {
    this.startErrors.inc({ container_type: containerType, code });
  }

  probeResult(probe: ProbeResultLabels): void {
    this.probes.inc({ ...probe });
  }

  podStarted(seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0) this.podStart.observe(seconds);
  }
}
