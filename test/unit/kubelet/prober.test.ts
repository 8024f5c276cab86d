// Probe bookkeeping (pure logic; the probes themselves run against real containers in
// test/e2e/kubelet): thresholds, startup gating, kills on liveness failure, named ports.
import type { V1Container } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { resolvePort } from '../../../kubelet/probes/probe-check.js';
import { PodProber } from '../../../kubelet/probes/prober.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function harness(exitCodes: () => number) {
  const killed: string[] = [];
  const observed: string[] = [];
  let changes = 0;
  const prober = new PodProber({
    execSync: async () => ({ exitCode: exitCodes(), stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) }),
    kill: async (id) => {
      killed.push(id);
    },
    changed: () => {
      changes++;
    },
    observe: (kind, container, ok) => void observed.push(`${kind} ${container} ${ok ? 'ok' : 'failed'}`),
    logger: silentLogger(),
  });
  return { prober, killed, observed, changes: () => changes };
}

const exec = { exec: { command: ['check'] }, periodSeconds: 1 };

describe('pod prober', () => {
  it('is ready only after successThreshold passes in a row', async () => {
    const { prober } = harness(() => 0);
    const container: V1Container = { name: 'c', readinessProbe: { ...exec, successThreshold: 2 } };
    prober.sync([{ id: 'a', container, podIp: '10.0.0.2' }]);
    expect(prober.ready('a', container)).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    expect(prober.ready('a', container)).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(prober.ready('a', container)).toBe(true);
    prober.stop();
  });

  it('kills a container after failureThreshold liveness failures, not before', async () => {
    const { prober, killed, observed } = harness(() => 1);
    const container: V1Container = { name: 'c', livenessProbe: { ...exec, failureThreshold: 3 } };
    prober.sync([{ id: 'a', container, podIp: '10.0.0.2' }]);
    await vi.advanceTimersByTimeAsync(1010);
    expect(killed).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(killed).toEqual(['a']);
    // Every attempt is counted (prober_probe_total), not only the ones that changed something.
    expect(observed).toEqual(['liveness c failed', 'liveness c failed', 'liveness c failed']);
    prober.stop();
  });

  it('holds liveness and readiness until the startup probe passes', async () => {
    let startupDone = false;
    const { prober, killed } = harness(() => (startupDone ? 0 : 1));
    const container: V1Container = {
      name: 'c',
      startupProbe: { ...exec, failureThreshold: 30 },
      livenessProbe: { ...exec, failureThreshold: 1 },
      readinessProbe: exec,
    };
    prober.sync([{ id: 'a', container, podIp: '10.0.0.2' }]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(killed).toEqual([]);
    expect(prober.started('a', container)).toBe(false);
    startupDone = true;
    await vi.advanceTimersByTimeAsync(2000);
    expect(prober.started('a', container)).toBe(true);
    expect(prober.ready('a', container)).toBe(true);
    prober.stop();
  });

  it('resolves named and numeric probe ports', () => {
    const container: V1Container = { name: 'c', ports: [{ name: 'web', containerPort: 8080 }] };
    expect(resolvePort('web', container)).toBe(8080);
    expect(resolvePort('9000', container)).toBe(9000);
    expect(resolvePort(81, container)).toBe(81);
    expect(resolvePort('nope', container)).toBeUndefined();
  });
});
