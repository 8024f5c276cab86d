// Probes of one pod's running containers. Each (container instance, kind) gets a loop: wait
// initialDelaySeconds, then check every periodSeconds; successThreshold passes in a row make it
// pass, failureThreshold failures in a row make it fail. Startup gates the other two; a failed
// liveness or startup probe kills the container (the pod worker then restarts it per the restart
// policy, with back-off); readiness only feeds the Ready conditions.
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import type { Logger } from '../../common/logger.js';
import { checkProbe, type ProbeDeps, type ProbeOutcome, type ProbeTarget } from './probe-check.js';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export interface ProberDeps extends ProbeDeps {
  /** Kills a container whose liveness or startup probe failed. */
  kill(containerId: string, reason: string): Promise<void>;
  /** A result changed: the pod's status (readiness) or runtime state (a kill) needs a look. */
  changed(): void;
  /** Every probe attempt's result (for prober_probe_total). */
  observe?(kind: ProbeKind, container: string, ok: boolean): void;
  logger: Logger;
}

export interface RunningContainer {
  id: string;
  container: V1Container;
  podIp: string;
}

interface ProbeLoop {
  kind: ProbeKind;
  timer: NodeJS.Timeout | undefined;
  successes: number;
  failures: number;
  passed: boolean;
  stopped: boolean;
}

function probeOf(container: V1Container, kind: ProbeKind): V1Probe | undefined {
  return kind === 'startup' ? container.startupProbe : kind === 'liveness' ? container.livenessProbe : container.readinessProbe;
}

export class PodProber {
  /** By container instance id. */
  private readonly loops = new Map<string, Map<ProbeKind, ProbeLoop>>();

  constructor(private readonly deps: ProberDeps) {}

  /** Starts loops for new container instances and stops those of instances gone. */
  sync(running: readonly RunningContainer[]): void {
    const ids = new Set(running.map((r) => r.id));
    for (const id of [...this.loops.keys()]) if (!ids.has(id)) this.stopInstance(id);
    for (const target of running) {
      if (this.loops.has(target.id)) continue;
      const loops = new Map<ProbeKind, ProbeLoop>();
      this.loops.set(target.id, loops);
      for (const kind of ['startup', 'liveness', 'readiness'] as const) {
        const probe = probeOf(target.container, kind);
        if (!probe) continue;
        const loop: ProbeLoop = { kind, timer: undefined, successes: 0, failures: 0, passed: false, stopped: false };
        loops.set(kind, loop);
        loop.timer = setTimeout(() => void this.tick(target, probe, loop), (probe.initialDelaySeconds ?? 0) * 1000);
      }
    }
  }

  /** Whether the container instance counts as ready (no readiness probe: once running). */
  ready(id: string, container: V1Container): boolean {
    if (!container.readinessProbe) return this.started(id, container);
    return this.started(id, container) && (this.loops.get(id)?.get('readiness')?.passed ?? false);
  }

  /** Whether the startup probe (if any) has passed. */
  started(id: string, container: V1Container): boolean {
    if (!container.startupProbe) return true;
    return this.loops.get(id)?.get('startup')?.passed ?? false;
  }

  stop(): void {
    for (const id of [...this.loops.keys()]) this.stopInstance(id);
  }

  private stopInstance(id: string): void {
    for (const loop of this.loops.get(id)?.values() ?? []) {
      loop.stopped = true;
      clearTimeout(loop.timer);
    }
    this.loops.delete(id);
  }

  private async tick(target: RunningContainer, probe: V1Probe, loop: ProbeLoop): Promise<void> {
    if (loop.stopped) return;
    // Liveness and readiness wait until the startup probe has passed.
    const gated = loop.kind !== 'startup' && !this.started(target.id, target.container);
    if (!gated) {
      const probeTarget: ProbeTarget = { containerId: target.id, container: target.container, podIp: target.podIp };
      const outcome = await checkProbe(probe, probeTarget, this.deps);
      if (loop.stopped) return;
      this.deps.observe?.(loop.kind, target.container.name, outcome.ok);
      await this.record(target, probe, loop, outcome);
    }
    if (loop.stopped) return;
    loop.timer = setTimeout(() => void this.tick(target, probe, loop), (probe.periodSeconds ?? 10) * 1000);
  }

  private async record(target: RunningContainer, probe: V1Probe, loop: ProbeLoop, outcome: ProbeOutcome): Promise<void> {
    const log = this.deps.logger.child({ container: target.container.name, containerId: target.id, probe: loop.kind });
    if (outcome.ok) {
      loop.failures = 0;
      loop.successes++;
      // Liveness and startup need one success (the API forces successThreshold 1 for them).
      const needed = loop.kind === 'readiness' ? (probe.successThreshold ?? 1) : 1;
      if (!loop.passed && loop.successes >= needed) {
        loop.passed = true;
        log.info('probe passed');
        this.deps.changed();
      }
      return;
    }
    loop.successes = 0;
    loop.failures++;
    log.debug({ failures: loop.failures, why: outcome.message }, 'probe failed');
    if (loop.failures < (probe.failureThreshold ?? 3)) return;
    if (loop.kind === 'readiness') {
      if (loop.passed) {
        loop.passed = false;
        log.info({ why: outcome.message }, 'readiness probe failed: not ready');
        this.deps.changed();
      }
      return;
    }
    log.info({ why: outcome.message }, `${loop.kind} probe failed: killing the container`);
    this.stopInstance(target.id);
    await this.deps
      .kill(target.id, `${loop.kind === 'startup' ? 'Startup' : 'Liveness'} probe failed: ${outcome.message}`)
      .catch((error: unknown) => log.warn({ err: error }, 'killing the container failed'));
    this.deps.changed();
  }
}
